package io.github.ffmreactor.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * How other threads reach a loop: a task queue and the loop's sleep state. The loop marks itself
 * asleep just before a blocking wait; a task queued after that point finds it asleep and signals
 * the engine, once per sleep. A loop that is spinning (or has work carried over) stays awake, so
 * tasks queued then cost no signal at all.
 *
 * <p>No signal is written once the engine may have closed its wakeup fd (whose number the kernel
 * may then give to anyone): a signalling thread counts itself in {@link #signalling} and then
 * checks {@link #closed}; {@link #close} sets closed and then waits until none is counted. Both
 * sides are volatile, so either the thread sees closed and writes nothing, or close sees it and
 * waits for its write. The loop closes the engine after the inbox.
 */
final class Inbox {
    private static final int AWAKE = 0, SLEEPING = 1;
    private static final VarHandle STATE, SIGNALLING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Inbox.class, "state", int.class);
            SIGNALLING = l.findVarHandle(Inbox.class, "signalling", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A queued task that owns something (an fd, a caller's future) to release if it never runs. */
    interface Abandonable extends Runnable {
        void abandon();
    }

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Ends the engine's wait: the engine's wakeup (an eventfd write, a pipe byte...). */
    private final Runnable signal;
    @SuppressWarnings("unused") private volatile int state; // read and written through STATE
    /** Threads inside a signal (read and written through SIGNALLING). */
    private volatile int signalling;
    private volatile boolean closed;

    Inbox(Runnable signal) {
        this.signal = signal;
    }

    boolean isEmpty() {
        return tasks.isEmpty();
    }

    /**
     * Marks the loop asleep before a blocking wait; false when a task is already queued (it was
     * seen here; one queued after this point sees SLEEPING and wakes the loop), and the loop
     * should not block.
     */
    boolean sleep() {
        STATE.setVolatile(this, SLEEPING);
        return tasks.isEmpty();
    }

    void awake() {
        STATE.setVolatile(this, AWAKE);
    }

    /** Ends the loop's current wait if it is asleep (or about to be); once per sleep; never after close. */
    void wakeup() {
        if (!STATE.compareAndSet(this, SLEEPING, AWAKE)) return;
        SIGNALLING.getAndAdd(this, 1);
        try {
            if (!closed) signal.run();
        } finally {
            SIGNALLING.getAndAdd(this, -1);
        }
    }

    /**
     * Queues {@code task} and wakes the loop unless {@code fromLoop}; false if the inbox has closed.
     * A task queued while it closes is run (or, if {@link Abandonable}, abandoned) by
     * {@link #close}, or taken back here and refused: never accepted and dropped.
     */
    boolean offer(Runnable task, boolean fromLoop) {
        Objects.requireNonNull(task, "task");
        if (closed) return false;
        tasks.add(task);
        // close() sets closed, then drains: if it drained before this add, take the task back.
        if (closed && tasks.remove(task)) return false;
        if (!fromLoop) wakeup();
        return true;
    }

    /** Runs the tasks queued now (not those they queue: the poller is not starved); how many ran. */
    int run(Failures failures) {
        int ran = 0;
        for (int n = tasks.size(); n > 0; n--) {
            Runnable r = tasks.poll();
            if (r == null) break;
            ran++;
            runOne(r, failures);
        }
        return ran;
    }

    private static void runOne(Runnable r, Failures failures) {
        try {
            r.run();
        } catch (Throwable t) {
            failures.report(null, t);
        }
    }

    /**
     * Loop thread, as the loop ends and before its engine closes: refuses new tasks, stops
     * signalling (waiting out a signal being written), and settles what was accepted: a plain
     * task runs (execute promised it would), one that owns something is {@link Abandonable#abandon
     * abandoned}. Tasks those tasks queue are refused.
     */
    void close(Failures failures) {
        closed = true;
        while (signalling != 0) LockSupport.parkNanos(10_000); // another thread is inside one write(2)
        for (Runnable r; (r = tasks.poll()) != null; ) {
            if (r instanceof Abandonable a) a.abandon();
            else runOne(r, failures);
        }
    }

    boolean isClosed() {
        return closed;
    }
}
