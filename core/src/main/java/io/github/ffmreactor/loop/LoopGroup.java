package io.github.ffmreactor.loop;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.SocketConsts;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * N loops, one thread each, serving connections spread across them. Where the OS has
 * SO_REUSEPORT with load balancing (Linux), each loop gets its own listening socket on the same
 * port and the kernel spreads incoming connections by a hash of their addresses: no lock, no
 * hand-off. Elsewhere one loop accepts and hands each fd round-robin to the others.
 */
public final class LoopGroup implements AutoCloseable {
    /** How a group listener spreads connections. */
    public enum Spread {
        /** SO_REUSEPORT where it balances (Linux), hand-off elsewhere. */
        AUTO,
        /** One listening socket per loop (SO_REUSEPORT). */
        REUSEPORT,
        /** One acceptor loop hands accepted fds round-robin to every loop. */
        HANDOFF
    }

    private final EventLoop[] loops;
    private final List<Listener> listeners = new ArrayList<>();
    private int next;

    private LoopGroup(EventLoop[] loops) {
        this.loops = loops;
    }

    /** Opens and starts {@code n} loops on threads named {@code ffmreactor-loop-i}. */
    public static LoopGroup start(int n, LoopOptions options) throws NativeException {
        if (n < 1) throw new IllegalArgumentException("need at least one loop, got " + n);
        EventLoop[] loops = new EventLoop[n];
        try {
            for (int i = 0; i < n; i++) loops[i] = EventLoop.open(options);
        } catch (NativeException | RuntimeException e) {
            for (EventLoop l : loops) if (l != null) l.close();
            throw e;
        }
        LoopGroup g = new LoopGroup(loops);
        for (EventLoop l : loops) {
            // One loop dying (its poller failed) takes the group down gracefully, so a server
            // does not run on with a part of its loops silently gone.
            l.afterTermination = () -> {
                if (l.terminationCause() != null) g.loopDied(l.terminationCause());
            };
        }
        for (int i = 0; i < n; i++) loops[i].start("ffmreactor-loop-" + i);
        return g;
    }

    private volatile Throwable terminationCause;

    private void loopDied(Throwable cause) {
        synchronized (this) {
            if (terminationCause != null) return;
            terminationCause = cause;
        }
        shutdown(Duration.ofSeconds(2));
    }

    /** Why the group ended, if one of its loops ended on a failure; null otherwise. */
    public Throwable terminationCause() {
        return terminationCause;
    }

    public int size() {
        return loops.length;
    }

    public EventLoop loop(int i) {
        return loops[i];
    }

    /** The next loop, round-robin: where to put a client connection or a timer. */
    public synchronized EventLoop next() {
        EventLoop l = loops[next];
        next = (next + 1) % loops.length;
        return l;
    }

    /** Whether SO_REUSEPORT spreads connections across sockets on this OS. */
    public static boolean reusePortBalances() {
        // BSD and macOS accept SO_REUSEPORT but send every connection to one socket (the last bound):
        // only Linux (3.9+) hashes connections across the group.
        return SocketConsts.CURRENT.equals(SocketConsts.LINUX);
    }

    /** Listens with {@link Spread#AUTO}. */
    public List<Listener> listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        return listen(address, trigger, handlers, Spread.AUTO);
    }

    /**
     * Listens on {@code address} (port 0: one free port, shared by every loop's socket) and returns
     * the listeners: one per loop with SO_REUSEPORT, one in all with hand-off. {@code handlers} is
     * called on the loop that will serve the connection, so it may be called from N threads.
     */
    public List<Listener> listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers,
                                 Spread spread) throws NativeException {
        boolean reuse = spread == Spread.REUSEPORT || (spread == Spread.AUTO && reusePortBalances());
        List<Listener> mine = new ArrayList<>();
        try {
            if (reuse) {
                InetSocketAddress a = address;
                for (EventLoop l : loops) {
                    Listener li = l.listen(a, trigger, handlers, true);
                    mine.add(li);
                    // Port 0: the first socket picks the port, the others join it.
                    a = new InetSocketAddress(address.getAddress(), li.port());
                }
            } else {
                Listener li = loops[0].listen(address, trigger, handlers);
                loops[0].tasks.call(() -> {
                    li.targets = loops;
                    return null;
                });
                mine.add(li);
            }
        } catch (NativeException | RuntimeException e) {
            for (Listener li : mine) li.close();
            throw e;
        }
        synchronized (this) {
            listeners.addAll(mine);
        }
        return mine;
    }

    /**
     * Graceful shutdown of every loop: stop accepting, flush queued output until {@code grace}
     * runs out, then close every fd and end the threads. Returns at once; see {@link #awaitTermination}.
     */
    public void shutdown(Duration grace) {
        for (EventLoop l : loops) l.shutdown(grace);
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (EventLoop l : loops) {
            long left = deadline - System.nanoTime();
            if (!l.awaitTermination(Duration.ofNanos(Math.max(0, left)))) return false;
        }
        return true;
    }

    /** Stops every loop at once (queued output dropped) and waits for them. */
    @Override
    public void close() {
        for (EventLoop l : loops) l.stop();
        for (EventLoop l : loops) l.close();
    }

    /** The loops' counters, added up. */
    public LoopStats stats() {
        LoopStats sum = loops[0].stats();
        for (int i = 1; i < loops.length; i++) sum = sum.plus(loops[i].stats());
        return sum;
    }
}
