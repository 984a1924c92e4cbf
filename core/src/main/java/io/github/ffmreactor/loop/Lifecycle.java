package io.github.ffmreactor.loop;

import java.time.Duration;
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
    /** Whether that thread was made by {@link EventLoop#start} (and so ends with the loop). */
    private boolean ownThread;
    volatile boolean stopping;
    boolean shuttingDown;
    long shutdownDeadlineNanos;
    /** Counted down once everything is closed. */
    final CountDownLatch terminated = new CountDownLatch(1);
    /** Counted down after that, once afterTermination has run: the loop's thread is done with it. */
    private final CountDownLatch ended = new CountDownLatch(1);
    volatile Throwable terminationCause;

    /**
     * Makes {@code t} the loop's thread; fails if the loop has (had) one. Synchronized with
     * {@link Tasks#call}, which runs a call on the caller's thread only while no thread owns the
     * loop: a start waits for such a call to finish, and the new thread sees what it did.
     */
    synchronized void claim(Thread t, boolean byRunner, boolean ownsThread, boolean closed) {
        if (thread != null) throw new IllegalStateException(closed ? "loop is closed" : "loop is already running or has run");
        thread = t;
        runner = byRunner;
        ownThread = ownsThread;
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

    /** Ends the loop on its thread: closes everything, records why, runs afterTermination. */
    void terminate(EventLoop loop, Throwable cause) {
        if (isTerminated()) return;
        if (cause != null) {
            terminationCause = cause;
            loop.failures.report(null, cause);
        }
        try {
            closeAll(loop);
        } finally {
            terminated.countDown();
            Runnable after = loop.afterTermination;
            try {
                if (after != null) after.run();
            } catch (Throwable t) {
                loop.failures.report(null, t);
            } finally {
                ended.countDown();
            }
        }
    }

    /** See {@link EventLoop#shutdown}: any thread; the loop begins it at its next turn. */
    void shutdown(EventLoop loop, Duration grace) {
        long deadline = System.nanoTime() + Timers.saturatedNanos(grace);
        loop.tasks.offer(() -> beginShutdown(loop, deadline));
    }

    /** See {@link EventLoop#stop}: any thread. A shutdown under way becomes a stop. */
    void stop(EventLoop loop) {
        stopping = true;
        loop.tasks.offer(() -> shuttingDown = false);
        loop.inbox.wakeup();
    }

    /**
     * See {@link EventLoop#awaitTermination}. True once everything is closed and afterTermination
     * has run, and, for a thread {@link EventLoop#start} made, once that thread has ended. On the
     * loop's own thread (a hook asking) it can wait for none of that: closed is enough.
     */
    boolean awaitTermination(Duration timeout) throws InterruptedException {
        long wait = Timers.saturatedNanos(timeout), start = System.nanoTime();
        if (thread == Thread.currentThread()) return terminated.await(wait, TimeUnit.NANOSECONDS);
        if (!ended.await(wait, TimeUnit.NANOSECONDS)) return false;
        if (!ownThread) return true; // read after ended: claim wrote it before the thread began
        Thread t = thread;
        long left = wait - (System.nanoTime() - start);
        return left > 0 ? t.join(Duration.ofNanos(left)) : !t.isAlive();
    }

    /** Loop thread: stop accepting, flush and close connections, until {@code deadline}. */
    private void beginShutdown(EventLoop loop, long deadline) {
        if (shuttingDown || stopping) return;
        shuttingDown = true;
        stopping = true;
        shutdownDeadlineNanos = deadline;
        for (Channel c : loop.registry.channels()) {
            if (c instanceof Listener l) l.closeNow(null);
            else if (c instanceof Connection k) k.closeAfterFlush();
        }
    }

    /** See {@link EventLoop#close()}. */
    void close(EventLoop loop, boolean inTurn) {
        boolean never;
        synchronized (this) {
            never = thread == null;
            if (never) thread = Thread.currentThread(); // from now on other threads queue, and are refused
        }
        if (never) {
            try {
                closeAll(loop);
            } finally {
                terminated.countDown();
                ended.countDown();
            }
            return;
        }
        if (!loop.tasks.inLoop()) {
            stop(loop);
            try {
                if (!awaitTermination(Duration.ofSeconds(30))) throw new IllegalStateException("loop did not stop");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            stopping = true;
            shuttingDown = false;
            if (!runner && !inTurn) terminate(loop, null);
        }
    }

    private static void closeAll(EventLoop loop) {
        if (loop.inbox.isClosed()) return;
        // Accepted tasks run now, or release what they own (an fd handed over by another loop, a
        // caller waiting on a call); tasks offered from here on are refused; no wakeup is written
        // after this, so the engine may close its wakeup fd below.
        loop.inbox.close(loop.failures);
        for (Channel c : loop.registry.channels()) {
            try {
                c.closeNow(null);
            } catch (Throwable t) {
                loop.failures.report(null, t);
            }
        }
        loop.timers.clear();
        loop.accepting.clear();
        loop.engine.close();
        loop.arena.close();
    }
}
