package io.github.ffmreactor.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * How other threads reach a loop: a task queue and the loop's sleep state. The loop marks itself
 * asleep just before a blocking wait; a task queued after that point finds it asleep and signals
 * the poller, once per sleep. A loop that is spinning (or has work carried over) stays awake, so
 * tasks queued then cost no signal at all.
 */
final class Inbox {
    private static final int AWAKE = 0, SLEEPING = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Inbox.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A queued task that owns something (an fd, a caller's future) to release if it never runs. */
    interface Abandonable extends Runnable {
        void abandon();
    }

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Engine engine;
    @SuppressWarnings("unused") private volatile int state; // read and written through STATE
    private volatile boolean closed;

    Inbox(Engine engine) {
        this.engine = engine;
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

    /** Ends the loop's current wait if it is asleep (or about to be); once per sleep. */
    void wakeup() {
        if (STATE.compareAndSet(this, SLEEPING, AWAKE)) engine.wakeup();
    }

    /**
     * Queues {@code task} and wakes the loop unless {@code fromLoop}; false if the inbox has closed.
     * A task queued while it closes is either run or, if {@link Abandonable}, abandoned: never
     * silently lost.
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
            try {
                r.run();
            } catch (Throwable t) {
                failures.report(null, t);
            }
        }
        return ran;
    }

    /** Refuses new tasks and releases what the queued ones own (they will never run). */
    void close() {
        closed = true;
        for (Runnable r; (r = tasks.poll()) != null; ) {
            if (r instanceof Abandonable a) a.abandon();
        }
    }

    boolean isClosed() {
        return closed;
    }
}
