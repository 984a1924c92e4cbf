package io.github.ffmreactor.loop;

/**
 * Loop settings.
 *
 * @param backend           poller backend: {@code auto}, {@code epoll}, ...
 * @param readBufferSize    the loop's one read buffer, shared by all its connections
 * @param eventCapacity     events taken per poll
 * @param readsPerTurn      edge triggering: reads per connection per turn before the rest is
 *                          carried to the next turn (fairness)
 * @param acceptsPerTurn    accepts per listener readiness
 * @param pauseReadingAbove a connection whose queued output exceeds this is not read from until
 *                          its output drains below half of it (back-pressure)
 * @param closeAbove        queued output past this closes the connection (a peer that never reads)
 * @param waitStrategy      how the loop waits when it has nothing to do (see {@link WaitStrategy})
 */
public record LoopOptions(String backend, int readBufferSize, int eventCapacity, int readsPerTurn,
                          int acceptsPerTurn, long pauseReadingAbove, long closeAbove, WaitStrategy waitStrategy) {
    public LoopOptions {
        if (waitStrategy == null) throw new IllegalArgumentException("wait strategy is null (use WaitStrategy.BLOCK)");
        if (readBufferSize < 64) throw new IllegalArgumentException("readBufferSize < 64: " + readBufferSize);
        if (eventCapacity < 1) throw new IllegalArgumentException("eventCapacity < 1: " + eventCapacity);
        if (readsPerTurn < 1) throw new IllegalArgumentException("readsPerTurn < 1: " + readsPerTurn);
        if (acceptsPerTurn < 1) throw new IllegalArgumentException("acceptsPerTurn < 1: " + acceptsPerTurn);
        if (pauseReadingAbove < 1 || closeAbove < pauseReadingAbove) {
            throw new IllegalArgumentException("need 0 < pauseReadingAbove <= closeAbove");
        }
    }

    /** Options that block when idle (the default {@link WaitStrategy}). */
    public LoopOptions(String backend, int readBufferSize, int eventCapacity, int readsPerTurn,
                       int acceptsPerTurn, long pauseReadingAbove, long closeAbove) {
        this(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove,
                WaitStrategy.BLOCK);
    }

    public static LoopOptions defaults() {
        return new LoopOptions(System.getProperty("ffmreactor.backend", "auto"), 64 * 1024, 1024, 16, 64,
                1 << 20, 64L << 20);
    }

    public LoopOptions withBackend(String b) {
        return new LoopOptions(b, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove, waitStrategy);
    }

    public LoopOptions withLimits(long pause, long close) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pause, close, waitStrategy);
    }

    public LoopOptions withReadsPerTurn(int n) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, n, acceptsPerTurn, pauseReadingAbove, closeAbove, waitStrategy);
    }

    public LoopOptions withReadBufferSize(int n) {
        return new LoopOptions(backend, n, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove, waitStrategy);
    }

    /** The same options with another wait strategy, e.g. {@code WaitStrategy.parse("spin-then-park:50us")}. */
    public LoopOptions withWait(WaitStrategy w) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, w);
    }
}
