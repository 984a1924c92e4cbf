package io.github.ffmreactor.testutil;

import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.Trigger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** A loop running on its own thread with one listener on 127.0.0.1:0; closes everything on close. */
public final class LoopRunner implements AutoCloseable {
    public final EventLoop loop;
    public final Listener listener;
    public final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final Thread thread;

    public LoopRunner(LoopOptions options, Trigger trigger, Supplier<? extends Handler> handlers) throws Exception {
        loop = EventLoop.open(options);
        loop.onError((c, t) -> errors.add(t));
        listener = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, handlers);
        thread = loop.start("test-loop-" + options.backend() + "-" + trigger);
    }

    public InetSocketAddress address() {
        return listener.localAddress();
    }

    /** Waits (bounded) until the loop has no connection open. */
    public void awaitNoConnections() throws Exception {
        Await.until("no connection open: " + loop.stats(), () -> loop.stats().open() == 0);
    }

    @Override
    public void close() throws Exception {
        loop.close();
        thread.join(10_000);
        if (thread.isAlive()) throw new AssertionError("loop thread did not stop");
    }
}
