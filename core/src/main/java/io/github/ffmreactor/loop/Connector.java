package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.WRITE;

import io.github.ffmreactor.net.Tcp;
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
 * A connect in progress. The socket is watched for writability, level-triggered, whatever the
 * connection will use later: writability means the handshake finished one way or the other, and
 * {@code getsockopt(SO_ERROR)} says which (0, or ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...). On
 * success the fd moves to a new {@link Connection} under the caller's trigger; on failure or
 * timeout it is closed and the future fails.
 *
 * <p>On Windows a failed connect never turns writable: Winsock select reports it in exceptfds,
 * which WinSelectPoller watches for every WRITE interest and reports as WRITE|ERROR; SO_ERROR
 * (WSAECONNREFUSED...) is then read the same way.
 */
final class Connector extends Channel {
    private final Handler handler;
    private final Trigger connectionTrigger;
    private final boolean tcp;
    private final String target;
    private final CompletableFuture<Connection> future;
    private Timer timer;

    private Connector(EventLoop loop, int fd, Trigger connectionTrigger, Handler handler, boolean tcp, String target,
                      CompletableFuture<Connection> future) {
        super(loop, fd, Trigger.LEVEL);
        this.handler = handler;
        this.connectionTrigger = connectionTrigger;
        this.tcp = tcp;
        this.target = target;
        this.future = future;
    }

    /** Opens a socket and starts its connect; -errno never: failures are thrown. */
    @FunctionalInterface
    interface Opener {
        int open() throws NativeException;
    }

    /**
     * Starts a connect on the loop (now if on it or not yet running); see {@link EventLoop#connect}.
     * The socket is opened by the loop itself, so a loop that has closed, or closes before getting
     * to it, fails the future and opens nothing.
     */
    static CompletableFuture<Connection> connect(EventLoop loop, Opener opener, boolean tcp, String target,
                                                 Trigger trigger, Handler handler, Duration timeout) {
        CompletableFuture<Connection> f = new CompletableFuture<>();
        Inbox.Abandonable start = new Inbox.Abandonable() {
            @Override
            public void run() {
                int fd;
                try {
                    loop.registry.checkTrigger(trigger);
                    fd = opener.open();
                } catch (NativeException | RuntimeException e) {
                    f.completeExceptionally(e);
                    return;
                }
                start(loop, fd, trigger, handler, tcp, target, timeout, f);
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

    /** Loop thread: registers the connecting fd (which it now owns) and arms the timeout. */
    private static void start(EventLoop loop, int fd, Trigger trigger, Handler handler, boolean tcp, String target,
                      Duration timeout, CompletableFuture<Connection> future) {
        Connector k = new Connector(loop, fd, trigger, handler, tcp, target, future);
        try {
            loop.registry.attach(k, Poller.WRITE, Trigger.LEVEL);
        } catch (NativeException | RuntimeException e) {
            future.completeExceptionally(e);
            return;
        }
        loop.counters.connecting(1);
        if (timeout != null) {
            long ms = Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            k.timer = loop.schedule(ms, TimeUnit.MILLISECONDS, () -> k.fail(new SocketTimeoutException(
                    "connect to " + target + ": no answer within " + ms + " ms (connect timeout)")));
        }
    }

    @Override
    void ready(int ready) {
        if (fd < 0 || (ready & (WRITE | HANGUP | ERROR)) == 0) return;
        int err;
        try {
            err = Tcp.soError(fd);
        } catch (NativeException e) {
            fail(e);
            return;
        }
        if (err != 0) {
            fail(Errno.exception("connect", err, "to " + target));
            return;
        }
        if (timer != null) timer.cancel();
        int f = loop.registry.detach(this);
        loop.counters.connecting(-1);
        if (tcp) Tcp.setNoDelay(loop.cs, f, loop.intScratch);
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
