package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import java.io.IOException;
import java.util.ArrayList;
import java.util.function.Supplier;

/**
 * A loop's side of accepting: each accepted fd is served, or refused at once when the loop is
 * over a limit; and the listeners paused because a resource ran out, resumed early when a
 * connection closes. Loop thread only.
 */
final class Accepting {
    private final EventLoop loop;
    /** Listeners paused by fd exhaustion: resumed early when a connection closes. */
    private final ArrayList<Listener> paused = new ArrayList<>();
    /** Accept failures, one report a second. */
    final Throttle errors = new Throttle();
    private final Throttle refusals = new Throttle();

    Accepting(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Serves an accepted fd, or closes it at once when the loop is over a limit: its
     * {@code maxConnections}, or the fds its poller can watch (select: FD_SETSIZE). Never throws:
     * one connection's trouble is that connection's.
     */
    void serve(int fd, Trigger trigger, Supplier<? extends Handler> handlers) {
        EventLoop l = loop;
        int max = l.options.maxConnections(), maxFd = l.engine.capabilities().maxFd();
        if (l.registry.open >= max || fd > maxFd) {
            refuse(fd, l.registry.open >= max ? "over maxConnections (" + max + ")"
                    : "fd " + fd + " is past what " + l.engine.name() + " can watch (" + maxFd + ")");
            return;
        }
        Handler h;
        try {
            h = handlers.get();
        } catch (Throwable t) {
            Fds.closeQuietly(fd);
            l.counters.failure();
            l.failures.report(null, t);
            return;
        }
        try {
            l.registry.adopt(fd, trigger, h);
        } catch (IllegalArgumentException e) {
            // The poller's own capacity (Windows select: sockets per set): a limit, not a fault.
            l.counters.rejected();
            refusals.report(l.failures, e);
        } catch (NativeException | RuntimeException e) {
            l.counters.failure();
            l.failures.report(null, e);
        }
    }

    private void refuse(int fd, String why) {
        Fds.closeQuietly(fd);
        loop.counters.rejected();
        refusals.report(loop.failures, new IOException("connection refused (accepted and closed): " + why));
    }

    void paused(Listener l) {
        loop.counters.acceptPause();
        if (!paused.contains(l)) paused.add(l);
    }

    void resumed(Listener l) {
        paused.remove(l);
    }

    /** A connection closed: the fd it freed may be what a paused listener waits for. */
    void connectionClosed() {
        if (paused.isEmpty()) return;
        for (Listener l : paused.toArray(new Listener[0])) l.resume();
    }

    void clear() {
        paused.clear();
    }
}
