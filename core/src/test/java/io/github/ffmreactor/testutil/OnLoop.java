package io.github.ffmreactor.testutil;

import io.github.ffmreactor.loop.EventLoop;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a call on a loop's thread and waits (bounded) for its result. */
public final class OnLoop {
    private OnLoop() {}

    public static <T> T call(EventLoop loop, Callable<T> call) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f.get(10, TimeUnit.SECONDS);
    }
}
