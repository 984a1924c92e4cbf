package io.github.ffmreactor.loop;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loop's life: which thread owns it (a {@link Runner}'s, or an embedder's calling
 * {@link EventLoop#runOnce}), stopping and graceful shutdown, and termination (cause, latch). The flags are written from the loop thread except
 * {@link #stopping}, which any thread may set.
 */
final class Lifecycle {
    volatile Thread thread;
    /** Whether a {@link Runner} owns the thread (else an embedder drives the turns). */
    boolean runner;
    volatile boolean stopping;
    boolean shuttingDown;
    long shutdownDeadlineNanos;
    final CountDownLatch terminated = new CountDownLatch(1);
    volatile Throwable terminationCause;

    /** Makes {@code t} the loop's thread; fails if the loop has (had) one. */
    synchronized void claim(Thread t, boolean byRunner, boolean closed) {
        if (thread != null) throw new IllegalStateException(closed ? "loop is closed" : "loop is already running or has run");
        thread = t;
        runner = byRunner;
    }

    /** For runOnce/doWork: the calling thread owns the loop, or claims it now if nobody does. */
    void claimForCaller() {
        Thread me = Thread.currentThread();
        Thread t = thread;
        if (t == me) return;
        synchronized (this) {
            if (thread == null) {
                thread = me;
                return;
            }
        }
        throw new IllegalStateException("the loop is run by thread '" + thread.getName()
                + "': runOnce/doWork only from that thread");
    }

    boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** Whether the loop is done: stopped, or shutting down with nothing open or the grace used up. */
    boolean finished(long openChannels) {
        if (!stopping) return false;
        return !shuttingDown || openChannels == 0 || System.nanoTime() - shutdownDeadlineNanos >= 0;
    }

    /** The wait's timeout while shutting down: until the grace ends (at least 1 ms). */
    long shutdownTimeout(long timeout) {
        long ms = TimeUnit.NANOSECONDS.toMillis(shutdownDeadlineNanos - System.nanoTime());
        ms = Math.max(1, Math.min(Integer.MAX_VALUE, ms));
        return timeout < 0 ? ms : Math.min(timeout, ms);
    }
}
