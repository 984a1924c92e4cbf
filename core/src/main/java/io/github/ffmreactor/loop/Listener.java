package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.poll.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.NativeException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * A listening socket on a loop. Accepted connections are registered on the same loop with the
 * listener's trigger and a handler from its factory.
 * Closing it ({@link #close()}) stops accepting; connections already accepted stay open.
 */
public final class Listener extends Channel {
    private final Supplier<? extends Handler> handlers;
    private final InetSocketAddress localAddress;
    private final boolean noDelay;
    private final java.nio.file.Path unixPath;
    /** Hand-off mode (a {@link LoopGroup} without SO_REUSEPORT): accepted fds go round-robin to these loops. */
    EventLoop[] targets;
    private int nextTarget;

    Listener(EventLoop loop, int fd, Trigger trigger, Supplier<? extends Handler> handlers, boolean noDelay)
            throws NativeException {
        super(loop, fd, trigger);
        this.handlers = handlers;
        this.noDelay = noDelay;
        this.localAddress = Tcp.localAddress(fd);
        this.unixPath = null;
    }

    /** A Unix domain socket listener at {@code path}; it removes the file when it closes. */
    Listener(EventLoop loop, int fd, Trigger trigger, Supplier<? extends Handler> handlers, java.nio.file.Path path) {
        super(loop, fd, trigger);
        this.handlers = handlers;
        this.noDelay = false;
        this.localAddress = null;
        this.unixPath = path;
    }

    /** The Unix socket path, or null for a TCP listener. */
    public java.nio.file.Path path() {
        return unixPath;
    }

    /** The bound address; with port 0 asked for, the port the kernel chose. Null for a Unix socket. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public int port() {
        return localAddress.getPort();
    }

    @Override
    void ready(int ready) {
        EventLoop l = loop;
        for (int k = 0; k < l.options.acceptsPerTurn() && fd >= 0; k++) {
            int c;
            try {
                c = SocketIo.accept(l.cs, fd);
            } catch (IllegalStateException e) {
                l.report(null, e); // a Windows handle beyond 31 bits, already closed
                continue;
            }
            if (c >= 0) {
                l.accepts++;
                if (noDelay) Tcp.setNoDelay(l.cs, c, l.intScratch);
                if (targets != null && handOff(c)) continue;
                Handler h;
                try {
                    h = handlers.get();
                } catch (Throwable t) {
                    io.github.ffmreactor.net.Fds.closeQuietly(c);
                    l.report(null, t);
                    continue;
                }
                try {
                    l.adopt(c, trigger, h);
                } catch (NativeException e) {
                    l.report(null, e);
                }
                continue;
            }
            if (c == -Errno.EAGAIN) return;
            if (c == -Errno.EINTR || c == -Errno.ECONNABORTED) continue;
            // Winsock: a pending connection reset by its peer before accept took it.
            if (SocketIo.WINDOWS && c == -Errno.ECONNRESET) continue;
            // EMFILE/ENFILE and the like: report, and try again on the next readiness.
            l.report(null, new NativeException(SocketIo.ACCEPT_CALL, -c));
            return;
        }
    }

    /** Passes {@code fd} to the next loop of the group; false when that loop is this one. */
    private boolean handOff(int fd) {
        EventLoop t = targets[nextTarget];
        nextTarget = (nextTarget + 1) % targets.length;
        if (t == loop) return false;
        t.handOff(new HandOff(t, fd, trigger, handlers));
        return true;
    }

    @Override
    void closeNow(Throwable cause) {
        if (fd < 0) return;
        loop.release(this);
        if (unixPath != null) {
            try {
                java.nio.file.Files.deleteIfExists(unixPath);
            } catch (java.io.IOException e) {
                loop.report(null, e);
            }
        }
    }
}
