package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.WRITE;

import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.net.Unix;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import io.github.ffmreactor.sys.Errno;

/**
 * A connect in progress. On a readiness engine the socket is watched for writability,
 * level-triggered, whatever the connection will use later: writability means the handshake
 * finished one way or the other, and {@code getsockopt(SO_ERROR)} says which (0, or ECONNREFUSED,
 * ETIMEDOUT, EHOSTUNREACH...). On io_uring the engine submits an IORING_OP_CONNECT for the
 * unconnected socket, whose completion carries the same answer as {@code -errno}; the sockaddr it
 * reads lives until that completion (the engine's {@code RingConnect}). On success the fd moves to a new
 * {@link Connection} under the caller's trigger; on failure or timeout it is closed (on io_uring:
 * the CONNECT is cancelled and the fd closed once its completion is back) and the future fails.
 *
 * <p>On Windows a failed connect never turns writable: Winsock select reports it in exceptfds,
 * which WinSelectPoller watches for every WRITE interest and reports as WRITE|ERROR; SO_ERROR
 * (WSAECONNREFUSED...) is then read the same way.
 */
final class Connector extends Channel {
    private final Handler handler;
    private final Trigger connectionTrigger;
    private final Target target;
    private final CompletableFuture<Connection> future;
    private Timer timer;

    /** No socket yet: the engine opens it ({@link Engine#connect}). */
    private Connector(EventLoop loop, Trigger connectionTrigger, Handler handler, Target target,
                      CompletableFuture<Connection> future) {
        super(loop, -1, Trigger.LEVEL);
        this.handler = handler;
        this.connectionTrigger = connectionTrigger;
        this.target = target;
        this.future = future;
    }

    /** Where to connect to: a TCP address or a Unix socket path. */
    sealed interface Target permits TcpTarget, UnixTarget {
        /** A new socket with a non-blocking connect(2) started (readiness engines); immediate failures are thrown. */
        int openAndConnect() throws NativeException;

        /** A new unconnected non-blocking socket (io_uring connects it with IORING_OP_CONNECT). */
        int open() throws NativeException;

        /** Writes the sockaddr into {@code out}; returns its length. */
        int encode(MemorySegment out);

        boolean tcp();
    }

    record TcpTarget(InetSocketAddress address) implements Target {
        @Override
        public int openAndConnect() throws NativeException {
            return Tcp.connect(address);
        }

        @Override
        public int open() throws NativeException {
            return Tcp.connectingSocket(address);
        }

        @Override
        public int encode(MemorySegment out) {
            return Tcp.encode(address, out);
        }

        @Override
        public boolean tcp() {
            return true;
        }

        @Override
        public String toString() {
            return address.toString();
        }
    }

    record UnixTarget(Path path) implements Target {
        @Override
        public int openAndConnect() throws NativeException {
            return Unix.connect(path);
        }

        @Override
        public int open() throws NativeException {
            return Unix.connectingSocket();
        }

        @Override
        public int encode(MemorySegment out) {
            return Unix.encode(path, out);
        }

        @Override
        public boolean tcp() {
            return false;
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /**
     * Starts a connect on the loop (now if on its thread, else at its next turn, or its first);
     * see {@link EventLoop#connect}. The socket is opened by the loop itself, so a loop that has
     * closed, or closes before getting to it, fails the future and opens nothing.
     */
    static CompletableFuture<Connection> connect(EventLoop loop, Target target, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        CompletableFuture<Connection> f = new CompletableFuture<>();
        long asked = loop.clock.nanoTime(); // the timeout counts from here, however late the loop gets to it
        Inbox.Abandonable start = new Inbox.Abandonable() {
            @Override
            public void run() {
                start(loop, target, trigger, handler, timeout, asked, f);
            }

            @Override
            public void abandon() {
                f.completeExceptionally(new RejectedExecutionException("connect to " + target + ": the event loop has closed"));
            }
        };
        try {
            loop.tasks.inLoopOrLater(start);
        } catch (RejectedExecutionException e) {
            start.abandon();
        }
        return f;
    }

    /** Loop thread: opens the socket (which it then owns) through the engine, and arms the timeout. */
    private static void start(EventLoop loop, Target target, Trigger trigger, Handler handler, Duration timeout,
                              long asked, CompletableFuture<Connection> future) {
        long ms = timeout == null ? 0 : Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        long left = ms * 1_000_000 - (loop.clock.nanoTime() - asked);
        if (timeout != null && left <= 0) { // asked before the loop ran, which came too late
            future.completeExceptionally(timedOut(target, ms));
            return;
        }
        Connector k = new Connector(loop, trigger, handler, target, future);
        try {
            loop.registry.checkTrigger(trigger);
            loop.engine.connect(k, target);
        } catch (NativeException | RuntimeException e) {
            future.completeExceptionally(e);
            return;
        }
        loop.counters.connecting(1);
        if (timeout != null) {
            k.timer = loop.schedule(left, TimeUnit.NANOSECONDS, () -> k.fail(timedOut(target, ms)));
        }
    }

    private static SocketTimeoutException timedOut(Target target, long ms) {
        return new SocketTimeoutException("connect to " + target + ": no answer within " + ms + " ms (connect timeout)");
    }

    @Override
    void ready(int ready) {
        if (fd < 0 || (ready & (WRITE | HANGUP | ERROR)) == 0) return;
        int err = ReadinessEngine.errno(ready);
        try {
            if (err == 0) err = Tcp.soError(fd);
        } catch (NativeException e) {
            fail(e);
            return;
        }
        completed(err);
    }

    /** The connect's outcome: 0 (connected) or the errno (a completion engine's result, or SO_ERROR). */
    void completed(int err) {
        if (fd < 0) return;
        if (err != 0) {
            fail(Errno.exception("connect", err, "to " + target));
            return;
        }
        if (timer != null) timer.cancel();
        int f = loop.registry.detach(this);
        loop.counters.connecting(-1);
        if (target.tcp()) Tcp.setNoDelay(loop.cs, f, loop.intScratch);
        Connection c;
        try {
            c = loop.registry.adopt(f, connectionTrigger, handler);
        } catch (NativeException | RuntimeException e) {
            future.completeExceptionally(e);
            return;
        }
        future.complete(c);
    }

    private void fail(Throwable cause) {
        if (fd < 0) return;
        if (timer != null) timer.cancel();
        loop.registry.release(this);
        loop.counters.connecting(-1);
        future.completeExceptionally(cause);
    }

    @Override
    void closeNow(Throwable cause) {
        fail(cause != null ? cause : new IOException("connect to " + target + ": the loop closed first"));
    }
}
