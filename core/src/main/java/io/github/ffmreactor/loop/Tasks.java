package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Work for the loop thread, from any thread: run at once when the caller is the loop thread (or
 * the loop has no thread yet, so nothing else can touch it), otherwise queued on the
 * {@link Inbox}, which wakes the loop if it sleeps. Which thread is the loop's is the
 * {@link Lifecycle}'s to say.
 */
final class Tasks {
    private final Lifecycle life;
    private final Inbox inbox;

    Tasks(Lifecycle life, Inbox inbox) {
        this.life = life;
        this.inbox = inbox;
    }

    boolean inLoop() {
        return Thread.currentThread() == life.thread;
    }

    /** Whether the caller may act on the loop directly: it is the loop thread, or there is none yet. */
    boolean mayRunHere() {
        Thread t = life.thread;
        return t == null || t == Thread.currentThread();
    }

    void checkInLoop() {
        if (!mayRunHere()) throw new IllegalStateException("not on the loop thread: use execute()");
    }

    /**
     * For the calls that touch a channel's output (its queue, the loop's staging buffer, a send
     * batch): from another thread they would race the loop and could hand one peer's bytes to
     * another, so they are refused, naming the call. One volatile read.
     */
    void checkInLoop(String call) {
        Thread t = life.thread;
        if (t != null && t != Thread.currentThread()) {
            throw new IllegalStateException(call + ": not on the loop thread (" + t.getName()
                    + "): use loop.execute(() -> ...) from other threads");
        }
    }

    /** See {@link EventLoop#execute}. */
    void execute(Runnable task) {
        if (!offer(task)) {
            Throwable cause = life.terminationCause;
            throw new RejectedExecutionException("event loop has terminated" + (cause != null ? " (" + cause + ")" : ""));
        }
    }

    /**
     * Queues {@code task}; false if the loop has closed. A task that is queued while the loop
     * closes is either run or, if it is {@link Inbox.Abandonable}, abandoned: never silently lost.
     */
    boolean offer(Runnable task) {
        return inbox.offer(task, inLoop());
    }

    /** Queues an accepted fd from another loop; closes it if this loop has closed. */
    void handOff(HandOff h) {
        if (!offer(h)) h.abandon();
    }

    /** Runs {@code r} now when on the loop (or before it runs), else queues it. */
    void inLoopOrLater(Runnable r) {
        if (mayRunHere()) r.run();
        else execute(r);
    }

    /** Runs {@code call} on the loop and waits for it; see {@link PendingCall#await}. */
    <T> T call(PendingCall.Call<T> call) throws NativeException {
        return mayRunHere() ? call.call() : PendingCall.await(this, call);
    }
}
