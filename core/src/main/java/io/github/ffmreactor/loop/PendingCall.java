package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A call another thread queued on a loop ({@code listen}, {@code openDatagram}...), and its
 * result, or why it never ran: if the loop closes first it is abandoned, and if the caller gave
 * up waiting it does not run at all, so nothing is opened that nobody will own.
 */
final class PendingCall<T> extends CompletableFuture<T> implements Inbox.Abandonable {
    @FunctionalInterface
    interface Call<T> {
        T call() throws NativeException;
    }

    private final Call<T> call;

    PendingCall(Call<T> call) {
        this.call = call;
    }

    /**
     * Queues {@code call} on the loop (from another thread) and waits. Fails at once with
     * {@link RejectedExecutionException} on a terminated loop; if the loop closes before running
     * it, or does not answer within 30 s, the call is abandoned and never runs later: whatever it
     * would have opened is never opened.
     */
    static <T> T await(Tasks tasks, Call<T> call) throws NativeException {
        PendingCall<T> p = new PendingCall<>(call);
        tasks.execute(p);
        try {
            return p.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NativeException ne) throw ne;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            p.abandon();
            throw new IllegalStateException("event loop did not answer within 30 s", e);
        }
    }

    @Override
    public void run() {
        if (isDone()) return; // the caller gave up: do not open what nobody will own
        T v;
        try {
            v = call.call();
        } catch (Throwable t) {
            completeExceptionally(t);
            return;
        }
        // The caller gave up while it ran: close what it made.
        if (!complete(v) && v instanceof Channel c) c.closeNow(null);
    }

    @Override
    public void abandon() {
        completeExceptionally(new RejectedExecutionException("event loop closed before the call ran"));
    }
}
