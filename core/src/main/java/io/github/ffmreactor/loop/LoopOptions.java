package io.github.ffmreactor.loop;

/**
 * Loop settings. Start from {@link #defaults()} and change what you need with the {@code with...}
 * methods.
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
 * @param outputBudget      queued output of all the loop's connections together: above it, every
 *                          connection that queues more stops being read from until its own queue
 *                          drains (a loop-wide bound on memory, whatever the number of peers)
 * @param maxConnections    connections the loop serves at once; an accepted connection past it is
 *                          closed at once and counted in {@link LoopStats#rejected()}
 * @param lingerMillis      a graceful close ({@link Connection#closeAfterFlush()}) reads and drops
 *                          the peer's input for at most this long after sending FIN
 * @param waitStrategy      how the loop waits when it has nothing to do (see {@link WaitStrategy})
 */
public record LoopOptions(String backend, int readBufferSize, int eventCapacity, int readsPerTurn,
                          int acceptsPerTurn, long pauseReadingAbove, long closeAbove, long outputBudget,
                          int maxConnections, long lingerMillis, WaitStrategy waitStrategy) {
    /** Checks every setting; a bad one is an {@link IllegalArgumentException} naming it. */
    public LoopOptions {
        if (backend == null || backend.isBlank()) throw new IllegalArgumentException("backend must be named (or auto)");
        if (readBufferSize < 64) throw new IllegalArgumentException("readBufferSize < 64: " + readBufferSize);
        if (eventCapacity < 1) throw new IllegalArgumentException("eventCapacity < 1: " + eventCapacity);
        if (readsPerTurn < 1) throw new IllegalArgumentException("readsPerTurn < 1: " + readsPerTurn);
        if (acceptsPerTurn < 1) throw new IllegalArgumentException("acceptsPerTurn < 1: " + acceptsPerTurn);
        if (pauseReadingAbove < 1 || closeAbove < pauseReadingAbove) {
            throw new IllegalArgumentException("need 0 < pauseReadingAbove <= closeAbove");
        }
        if (outputBudget < 1) throw new IllegalArgumentException("outputBudget < 1: " + outputBudget);
        if (maxConnections < 1) throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
        if (lingerMillis < 0) throw new IllegalArgumentException("lingerMillis < 0: " + lingerMillis);
        if (waitStrategy == null) throw new IllegalArgumentException("wait strategy is null (use WaitStrategy.BLOCK)");
    }

    /**
     * 64 KiB read buffer; pause reading above 64 KiB queued per connection (Netty's default
     * high-water mark: enough to keep a fast peer's pipe full, small enough that thousands of
     * slow peers cost little), close above 16 MiB; 64 MiB queued per loop at most; no connection
     * limit but the fd limit; 2 s linger; block when idle.
     *
     * @return the defaults, with the backend from {@code -Dffmreactor.backend} (or {@code auto})
     */
    public static LoopOptions defaults() {
        return new LoopOptions(System.getProperty("ffmreactor.backend", "auto"), 64 * 1024, 1024, 16, 64,
                64 * 1024, 16L << 20, 64L << 20, Integer.MAX_VALUE, 2000, WaitStrategy.BLOCK);
    }

    /** @param b a backend name or {@code auto} @return these options on that backend */
    public LoopOptions withBackend(String b) {
        return new LoopOptions(b, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, lingerMillis, waitStrategy);
    }

    /**
     * Per-connection output limits.
     *
     * @param pause pause reading above this many queued bytes
     * @param close close the connection above this many
     * @return these options with those limits
     */
    public LoopOptions withLimits(long pause, long close) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pause, close,
                outputBudget, maxConnections, lingerMillis, waitStrategy);
    }

    /** @param n reads per connection per turn (edge triggering) @return these options with it */
    public LoopOptions withReadsPerTurn(int n) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, n, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, lingerMillis, waitStrategy);
    }

    /** @param n the read buffer's size in bytes @return these options with it */
    public LoopOptions withReadBufferSize(int n) {
        return new LoopOptions(backend, n, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, lingerMillis, waitStrategy);
    }

    /** @param bytes the loop-wide budget of queued output @return these options with it */
    public LoopOptions withOutputBudget(long bytes) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, bytes, maxConnections, lingerMillis, waitStrategy);
    }

    /** @param n connections served at once @return these options with it */
    public LoopOptions withMaxConnections(int n) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, n, lingerMillis, waitStrategy);
    }

    /** @param ms how long a graceful close drains the peer's input @return these options with it */
    public LoopOptions withLingerMillis(long ms) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, ms, waitStrategy);
    }

    /**
     * The same options with another wait strategy, e.g. {@code WaitStrategy.parse("spin-then-park:50us")}.
     *
     * @param w how the loop waits when idle
     * @return these options with it
     */
    public LoopOptions withWait(WaitStrategy w) {
        return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, lingerMillis, w);
    }
}
