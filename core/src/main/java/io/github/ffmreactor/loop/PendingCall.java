package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * A call another thread queued on a loop ({@code listen}, {@code openDatagram}...), and its
 * result, or why it never ran: if the loop closes first it is abandoned, and if the caller gave
 * up waiting it does not run at all, so nothing is opened that nobody will own.
 */
final class PendingCall<T> extends CompletableFuture<T> implements EventLoop.Abandonable {
    @FunctionalInterface
    interface Call<T> {
        T call() throws NativeException;
    }

    private final Call<T> call;

    PendingCall(Call<T> call) {
        this.call = call;
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
