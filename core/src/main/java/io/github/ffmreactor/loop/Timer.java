package io.github.ffmreactor.loop;

/**
 * A task scheduled on a loop ({@link EventLoop#schedule}, {@link EventLoop#scheduleAtFixedRate}).
 * {@link #cancel} works from any thread.
 */
public final class Timer {
    final EventLoop loop;
    final Runnable task;
    /** 0: runs once; otherwise the period in nanoseconds. */
    final long periodNanos;
    long deadline;
    /** Position in the loop's heap; -1 when not queued (not yet added, fired, or cancelled). */
    int index = -1;
    volatile boolean cancelled;

    Timer(EventLoop loop, Runnable task, long deadline, long periodNanos) {
        this.loop = loop;
        this.task = task;
        this.deadline = deadline;
        this.periodNanos = periodNanos;
    }

    /** Puts this new timer on its loop's heap: now on the loop thread, else by a task (refused once terminated). */
    Timer add() {
        if (loop.tasks.inLoop() && !loop.life.isTerminated()) loop.timers.add(this);
        else loop.tasks.execute(() -> loop.timers.add(this));
        return this;
    }

    /**
     * Cancels the task: it will not run again (a run already under way on the loop finishes).
     * Returns false if it was already cancelled, as every timer still pending when its loop
     * terminated is: after termination this is a no-op, never an exception.
     */
    public boolean cancel() {
        if (cancelled) return false;
        cancelled = true;
        // Refused by a loop that has closed meanwhile: its end cleared every timer, this one too.
        if (loop.inLoop()) loop.timers.remove(this);
        else loop.tasks.offer(() -> loop.timers.remove(this));
        return true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Whether it is a one-shot task that has run, or a cancelled one. */
    public boolean isDone() {
        return cancelled || fired;
    }

    /** Scheduling order: breaks ties between equal deadlines. */
    long order;
    volatile boolean fired;
}
