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
 */
public record LoopOptions(String backend, int readBufferSize, int eventCapacity, int readsPerTurn,
                          int acceptsPerTurn, long pauseReadingAbove, long closeAbove) {
    public LoopOptions {
        if (readBufferSize < 64) throw new IllegalArgumentException("readBufferSize < 64: " + readBufferSize);
        if (eventCapacity < 1) throw new IllegalArgumentException("eventCapacity < 1: " + eventCapacity);
        if (readsPerTurn < 1) throw new IllegalArgumentException("readsPerTurn < 1: " + readsPerTurn);
        if (acceptsPerTurn < 1) throw new IllegalArgumentException("acceptsPerTurn < 1: " + acceptsPerTurn);
        if (pauseReadingAbove < 1 || closeAbove < pauseReadingAbove) {
            throw new IllegalArgumentException("need 0 < pauseReadingAbove <= closeAbove");
        }
    }

    public static LoopOptions defaults() {
        return new LoopOptions(System.getProperty("ffmreactor.backend", "auto"), 64 * 1024, 1024, 16, 64,
                1 << 20, 64L << 20);
    }

    public LoopOptions withBackend(String b) {
        return new LoopOptions(b, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove);
    }

    public LoopOptions withLimits(long pause, long close) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pause, close);
    }

    public LoopOptions withReadsPerTurn(int n) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, n, acceptsPerTurn, pauseReadingAbove, closeAbove);
    }

    public LoopOptions withReadBufferSize(int n) {
        return new LoopOptions(backend, n, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove);
    }
}
