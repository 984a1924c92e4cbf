package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.net.Unix;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.IoUring;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A listening socket on a loop. Accepted connections are registered on the same loop with the
 * listener's trigger and a handler from its factory.
 * Closing it ({@link #close()}) stops accepting; connections already accepted stay open.
 *
 * <p>When accept runs out of a resource (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener pauses:
 * its read interest comes off, so a level-triggered poller stops reporting the pending
 * connection, and it resumes after a back-off (10 ms doubling to 1 s) or as soon as a connection
 * of this loop closes. The waiting connections stay in the kernel's backlog meanwhile.
 */
public final class Listener extends Channel {
    static final long FIRST_BACKOFF_MILLIS = 10, MAX_BACKOFF_MILLIS = 1000;

    private final Supplier<? extends Handler> handlers;
    private final InetSocketAddress localAddress;
    private final boolean noDelay;
    private final Path unixPath;
    /** The socket file's identity when the listener was made: only that file is removed at close. */
    private final Object unixFile;
    /** Hand-off mode (a {@link LoopGroup} without SO_REUSEPORT): accepted fds go round-robin to these loops. */
    EventLoop[] targets;
    private int nextTarget;
    private boolean paused;
    private long backoffMillis;
    private Timer resumeTimer;

    Listener(EventLoop loop, int fd, Trigger trigger, Supplier<? extends Handler> handlers, InetSocketAddress local) {
        super(loop, fd, trigger);
        this.handlers = handlers;
        this.noDelay = true;
        this.localAddress = local;
        this.unixPath = null;
        this.unixFile = null;
    }

    /** A Unix domain socket listener at {@code path}; it removes the file when it closes. */
    Listener(EventLoop loop, int fd, Trigger trigger, Supplier<? extends Handler> handlers, Path path) {
        super(loop, fd, trigger);
        this.handlers = handlers;
        this.noDelay = false;
        this.localAddress = null;
        this.unixPath = path;
        this.unixFile = Unix.fileKey(path);
    }

    /** The Unix socket path, or null for a TCP listener. */
    public Path path() {
        return unixPath;
    }

    /** The bound address; with port 0 asked for, the port the kernel chose. Null for a Unix socket. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public int port() {
        return localAddress.getPort();
    }

    /** Whether accepting is paused (out of fds or kernel memory), waiting to try again. */
    public boolean isPaused() {
        return paused;
    }

    /** Level-triggered whatever its connections use: accepting is bounded per turn, and the next turn finds the rest without a new edge. */
    @Override
    Trigger watchTrigger() {
        return Trigger.LEVEL;
    }

    @Override
    void ready(int ready) throws NativeException {
        EventLoop l = loop;
        for (int k = 0; k < l.options.acceptsPerTurn() && fd >= 0 && !paused; k++) {
            int c;
            try {
                c = SocketIo.accept(l.cs, fd);
            } catch (IllegalStateException e) {
                l.failures.report(null, e); // a Windows handle beyond 31 bits, already closed
                continue;
            }
            if (c >= 0) {
                l.counters.accept();
                backoffMillis = 0;
                if (noDelay) Tcp.setNoDelay(l.cs, c, l.intScratch);
                if (targets != null && handOff(c)) continue;
                l.accepting.serve(c, trigger, handlers);
                continue;
            }
            int errno = -c;
            if (errno == Errno.EAGAIN) return;
            if (skippable(errno)) continue;
            if (errno == Errno.EBADF || errno == Errno.EINVAL || errno == Errno.ENOTSOCK) {
                // Not the pending connection's trouble but this socket's: the loop closes it.
                throw Errno.exception(SocketIo.ACCEPT_CALL, errno);
            }
            // EMFILE, ENFILE, ENOBUFS, ENOMEM, and whatever else the kernel may say: accepting
            // again at once would fail again, so wait. Level triggering would otherwise report the
            // pending connection on every turn: a spin.
            pause(errno);
            return;
        }
    }

    /**
     * io_uring: a multishot accept completed with {@code res}, an fd (ours now) or -errno. As
     * {@link #ready}, one connection at a time.
     */
    void completed(int res) throws NativeException {
        EventLoop l = loop;
        if (res >= 0) {
            if (fd < 0) {
                Fds.closeQuietly(res); // accepted as the listener closed
                return;
            }
            l.counters.accept();
            backoffMillis = 0;
            if (noDelay) Tcp.setNoDelay(l.cs, res, l.intScratch);
            if (targets != null && handOff(res)) return;
            l.accepting.serve(res, trigger, handlers);
            return;
        }
        int errno = -res;
        if (fd < 0 || errno == IoUring.ECANCELED || errno == Errno.EAGAIN || skippable(errno)) return;
        if (errno == Errno.EBADF || errno == Errno.EINVAL || errno == Errno.ENOTSOCK) {
            throw Errno.exception("accept (io_uring)", errno);
        }
        pause(errno);
    }

    /**
     * Errors that belong to one pending connection, not to the listener: go on with the next.
     * Linux passes a new connection's pending network errors to accept; so does Winsock with a
     * connection reset before it was taken.
     */
    private static boolean skippable(int errno) {
        return errno == Errno.EINTR || errno == Errno.ECONNABORTED || errno == Errno.EPERM
                || errno == Errno.ENETUNREACH || errno == Errno.EHOSTUNREACH || errno == Errno.ETIMEDOUT
                || SocketIo.acceptRetryable(errno);
    }

    private void pause(int errno) throws NativeException {
        EventLoop l = loop;
        backoffMillis = backoffMillis == 0 ? FIRST_BACKOFF_MILLIS : Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        l.accepting.errors.report(l.failures, Errno.exception(SocketIo.ACCEPT_CALL, errno,
                "accepting paused for " + backoffMillis + " ms"));
        setAccepting(false);
        l.accepting.paused(this);
        resumeTimer = l.schedule(backoffMillis, TimeUnit.MILLISECONDS, this::resume);
    }

    /** Accepts again: the back-off ran out, or a connection of this loop closed and freed an fd. */
    void resume() {
        if (!paused || fd < 0) return;
        if (resumeTimer != null) {
            resumeTimer.cancel();
            resumeTimer = null;
        }
        loop.accepting.resumed(this);
        try {
            setAccepting(true);
        } catch (NativeException e) {
            loop.failures.fail(this, e);
        }
    }

    private void setAccepting(boolean on) throws NativeException {
        paused = !on;
        int want = on ? Poller.READ : 0;
        loop.engine.interest(this, want);
        interest = want;
    }

    /** Passes {@code fd} to the next loop of the group; false when that loop is this one. */
    private boolean handOff(int fd) {
        EventLoop t = targets[nextTarget];
        nextTarget = (nextTarget + 1) % targets.length;
        if (t == loop) return false;
        t.tasks.handOff(new HandOff(t, fd, trigger, handlers));
        return true;
    }

    @Override
    void closeNow(Throwable cause) {
        if (fd < 0) return;
        if (resumeTimer != null) resumeTimer.cancel();
        loop.accepting.resumed(this);
        loop.registry.release(this);
        removeSocketFile();
    }

    /** Registration failed (the fd is closed): the socket file goes too. */
    @Override
    void released() {
        removeSocketFile();
    }

    private void removeSocketFile() {
        if (unixPath != null && Files.exists(unixPath, LinkOption.NOFOLLOW_LINKS)
                && !Unix.removeIfSame(unixPath, unixFile)) {
            loop.failures.report(null, new IOException("unix listener: " + unixPath
                    + " was left in place (it is not the socket file this listener made, or could not be removed)"));
        }
    }
}
