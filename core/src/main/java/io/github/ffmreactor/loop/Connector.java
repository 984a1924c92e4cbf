package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.WRITE;

import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.net.Unix;
import io.github.ffmreactor.sys.SockAddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import io.github.ffmreactor.poll.Poller;
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
 * reads lives in this object's arena until that completion. On success the fd moves to a new
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
    /** io_uring: the sockaddr IORING_OP_CONNECT reads, and its arena; null once the kernel is done with it. */
    private Arena addrArena;
    MemorySegment sockaddr;
    int sockaddrLen;

    private Connector(EventLoop loop, int fd, Trigger connectionTrigger, Handler handler, Target target,
                      CompletableFuture<Connection> future) {
        super(loop, fd, Trigger.LEVEL);
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
     * Starts a connect on the loop (now if on it or not yet running); see {@link EventLoop#connect}.
     * The socket is opened by the loop itself, so a loop that has closed, or closes before getting
     * to it, fails the future and opens nothing.
     */
    static CompletableFuture<Connection> connect(EventLoop loop, Target target, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        CompletableFuture<Connection> f = new CompletableFuture<>();
        Inbox.Abandonable start = new Inbox.Abandonable() {
            @Override
            public void run() {
                start(loop, target, trigger, handler, timeout, f);
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

    /** Loop thread: opens the socket (which it then owns), registers it and arms the timeout. */
    private static void start(EventLoop loop, Target target, Trigger trigger, Handler handler, Duration timeout,
                              CompletableFuture<Connection> future) {
        Connector k;
        try {
            loop.registry.checkTrigger(trigger);
            if (loop.uring != null) {
                // The sockaddr first (a bad address opens nothing), then the socket.
                // Closed on the loop thread, at the CONNECT's completion: confined there (closing a
                // shared arena costs a handshake with every thread, about 13 us per connect here);
                // shared only for a connect asked before the loop runs, made on the caller's thread.
                Arena a = loop.inLoop() ? Arena.ofConfined() : Arena.ofShared();
                MemorySegment sa;
                int len, fd;
                try {
                    sa = a.allocate(SockAddr.SIZEOF_STORAGE, 8);
                    len = target.encode(sa);
                    fd = target.open();
                } catch (NativeException | RuntimeException e) {
                    a.close();
                    throw e;
                }
                k = new Connector(loop, fd, trigger, handler, target, future);
                k.addrArena = a;
                k.sockaddr = sa;
                k.sockaddrLen = len;
            } else {
                k = new Connector(loop, target.openAndConnect(), trigger, handler, target, future);
            }
            // io_uring: "register" queues the IORING_OP_CONNECT for the next submit.
            loop.registry.attach(k, Poller.WRITE, Trigger.LEVEL);
        } catch (NativeException | RuntimeException e) {
            future.completeExceptionally(e);
            return;
        }
        loop.counters.connecting(1);
        if (timeout != null) {
            long ms = Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            Connector c = k;
            k.timer = loop.schedule(ms, TimeUnit.MILLISECONDS, () -> c.fail(new SocketTimeoutException(
                    "connect to " + target + ": no answer within " + ms + " ms (connect timeout)")));
        }
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
        finish(err);
    }

    /** io_uring: the IORING_OP_CONNECT completed with {@code res} (0 or -errno); the kernel is done with the sockaddr. */
    void connectCompleted(int res) {
        freeAddress();
        if (fd >= 0) finish(res < 0 ? -res : 0);
    }

    /** The connect's outcome: 0 (connected) or the errno. */
    private void finish(int err) {
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

    /** Frees the sockaddr: only once no CONNECT that reads it can be in flight. */
    void freeAddress() {
        if (addrArena == null) return;
        sockaddr = null;
        addrArena.close();
        addrArena = null;
    }

    @Override
    void released() {
        freeAddress(); // registration failed: nothing was submitted
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
