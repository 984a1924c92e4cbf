package io.github.ffmreactor.loop;

/**
 * Loop settings. Start from {@link #defaults()} or {@link #builder()}, change what you need, and
 * {@link Builder#build() build}:
 * {@snippet :
 * LoopOptions o = LoopOptions.builder().backend(Backend.EPOLL).maxConnections(10_000).build();
 * LoopOptions p = o.toBuilder().lingerMillis(0).build();
 * }
 * Every setting is checked in one place, the canonical constructor: a bad one is an
 * {@link IllegalArgumentException} naming it. The {@code with...} methods are shorthands for a
 * one-setting change through {@link #toBuilder()}.
 *
 * @param backend           the kernel API the loop waits on (see {@link Backend})
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
 * @param uringEntries      {@link Backend#IO_URING}: submission queue entries, a power of two from 2
 *                          to 32768
 * @param uringBuffers      {@link Backend#IO_URING}: provided receive buffers per loop, a power of two
 *                          up to 32768; when all are in use a receive ends with ENOBUFS and is armed again
 * @param uringBufferSize   {@link Backend#IO_URING}: bytes per provided buffer (at most one receive's worth)
 * @param uringQuietReceives {@link Backend#IO_URING}: receives in a row that leave a connection's socket
 *                          empty before its receive turns multishot (a request/response peer)
 */
public record LoopOptions(Backend backend, int readBufferSize, int eventCapacity, int readsPerTurn,
                          int acceptsPerTurn, long pauseReadingAbove, long closeAbove, long outputBudget,
                          int maxConnections, long lingerMillis, WaitStrategy waitStrategy, int uringEntries,
                          int uringBuffers, int uringBufferSize, int uringQuietReceives) {
    /** Checks every setting; a bad one is an {@link IllegalArgumentException} naming it. */
    public LoopOptions {
        if (backend == null) throw new IllegalArgumentException("backend is null (use Backend.AUTO)");
        if (readBufferSize < 64) throw new IllegalArgumentException("readBufferSize < 64: " + readBufferSize);
        if (eventCapacity < 1) throw new IllegalArgumentException("eventCapacity < 1: " + eventCapacity);
        if (readsPerTurn < 1) throw new IllegalArgumentException("readsPerTurn < 1: " + readsPerTurn);
        if (acceptsPerTurn < 1) throw new IllegalArgumentException("acceptsPerTurn < 1: " + acceptsPerTurn);
        if (pauseReadingAbove < 1 || closeAbove < pauseReadingAbove) {
            throw new IllegalArgumentException("need 0 < pauseReadingAbove <= closeAbove, got pauseReadingAbove="
                    + pauseReadingAbove + " closeAbove=" + closeAbove);
        }
        if (outputBudget < 1) throw new IllegalArgumentException("outputBudget < 1: " + outputBudget);
        if (maxConnections < 1) throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
        if (lingerMillis < 0) throw new IllegalArgumentException("lingerMillis < 0: " + lingerMillis);
        if (waitStrategy == null) throw new IllegalArgumentException("waitStrategy is null (use WaitStrategy.BLOCK)");
        if (uringEntries < 2 || uringEntries > 32768 || Integer.bitCount(uringEntries) != 1) {
            throw new IllegalArgumentException("uringEntries is not a power of two in [2, 32768]: " + uringEntries);
        }
        if (uringBuffers < 1 || uringBuffers > 32768 || Integer.bitCount(uringBuffers) != 1) {
            throw new IllegalArgumentException("uringBuffers is not a power of two in [1, 32768]: " + uringBuffers);
        }
        if (uringBufferSize < 1) throw new IllegalArgumentException("uringBufferSize < 1: " + uringBufferSize);
        if (uringQuietReceives < 1) throw new IllegalArgumentException("uringQuietReceives < 1: " + uringQuietReceives);
    }

    private static final int URING_ENTRIES = 1024, URING_BUFFERS = 256, URING_BUFFER_SIZE = 16 * 1024,
            URING_QUIET_RECEIVES = 8;

    /** The settings before the io_uring ones, which take their defaults (1024 entries, 256 buffers of 16 KiB, 8 quiet receives). */
    public LoopOptions(Backend backend, int readBufferSize, int eventCapacity, int readsPerTurn, int acceptsPerTurn,
                       long pauseReadingAbove, long closeAbove, long outputBudget, int maxConnections,
                       long lingerMillis, WaitStrategy waitStrategy) {
        this(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove, closeAbove,
                outputBudget, maxConnections, lingerMillis, waitStrategy, URING_ENTRIES, URING_BUFFERS, URING_BUFFER_SIZE, URING_QUIET_RECEIVES);
    }

    /**
     * 64 KiB read buffer; pause reading above 64 KiB queued per connection (Netty's default
     * high-water mark: enough to keep a fast peer's pipe full, small enough that thousands of
     * slow peers cost little), close above 16 MiB; 64 MiB queued per loop at most; no connection
     * limit but the fd limit; 2 s linger; block when idle; on io_uring 1024 SQ entries, 256
     * provided buffers of 16 KiB, multishot receives after 8 quiet ones.
     *
     * @return the defaults, with the backend from {@code -Dffmreactor.backend} (or {@code auto})
     * @throws IllegalArgumentException if that property names no backend
     */
    public static LoopOptions defaults() {
        return builder().build();
    }

    /** {@return a builder holding the {@link #defaults()}} */
    public static Builder builder() {
        return new Builder(Backend.fromProperty(), 64 * 1024, 1024, 16, 64, 64 * 1024, 16L << 20, 64L << 20,
                Integer.MAX_VALUE, 2000, WaitStrategy.BLOCK, URING_ENTRIES, URING_BUFFERS, URING_BUFFER_SIZE, URING_QUIET_RECEIVES);
    }

    /** {@return a builder holding these options} */
    public Builder toBuilder() {
        return new Builder(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, pauseReadingAbove,
                closeAbove, outputBudget, maxConnections, lingerMillis, waitStrategy, uringEntries, uringBuffers,
                uringBufferSize, uringQuietReceives);
    }

    /** {@return these options on backend {@code b}} */
    public LoopOptions withBackend(Backend b) {
        return toBuilder().backend(b).build();
    }

    /**
     * Per-connection output limits.
     *
     * @param pause pause reading above this many queued bytes
     * @param close close the connection above this many
     * @return these options with those limits
     */
    public LoopOptions withLimits(long pause, long close) {
        return toBuilder().pauseReadingAbove(pause).closeAbove(close).build();
    }

    /** {@return these options with {@code n} reads per connection per turn (edge triggering)} */
    public LoopOptions withReadsPerTurn(int n) {
        return toBuilder().readsPerTurn(n).build();
    }

    /** {@return these options with a read buffer of {@code n} bytes} */
    public LoopOptions withReadBufferSize(int n) {
        return toBuilder().readBufferSize(n).build();
    }

    /** {@return these options with a loop-wide budget of {@code bytes} of queued output} */
    public LoopOptions withOutputBudget(long bytes) {
        return toBuilder().outputBudget(bytes).build();
    }

    /** {@return these options serving at most {@code n} connections at once} */
    public LoopOptions withMaxConnections(int n) {
        return toBuilder().maxConnections(n).build();
    }

    /** {@return these options with a graceful close draining the peer's input for {@code ms} milliseconds} */
    public LoopOptions withLingerMillis(long ms) {
        return toBuilder().lingerMillis(ms).build();
    }

    /**
     * The same options with another wait strategy, e.g. {@code WaitStrategy.parse("spin-then-park:50us")}.
     *
     * @param w how the loop waits when idle
     * @return these options with it
     */
    public LoopOptions withWait(WaitStrategy w) {
        return toBuilder().waitStrategy(w).build();
    }

    /**
     * Collects settings; {@link #build()} checks them all (the record's constructor). Not
     * thread-safe; each setter returns this builder. The settings are the record's components.
     */
    public static final class Builder {
        private Backend backend;
        private int readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn, maxConnections;
        private long pauseReadingAbove, closeAbove, outputBudget, lingerMillis;
        private WaitStrategy waitStrategy;
        private int uringEntries, uringBuffers, uringBufferSize, uringQuietReceives;

        private Builder(Backend backend, int readBufferSize, int eventCapacity, int readsPerTurn, int acceptsPerTurn,
                        long pauseReadingAbove, long closeAbove, long outputBudget, int maxConnections,
                        long lingerMillis, WaitStrategy waitStrategy, int uringEntries, int uringBuffers,
                        int uringBufferSize, int uringQuietReceives) {
            this.backend = backend;
            this.readBufferSize = readBufferSize;
            this.eventCapacity = eventCapacity;
            this.readsPerTurn = readsPerTurn;
            this.acceptsPerTurn = acceptsPerTurn;
            this.pauseReadingAbove = pauseReadingAbove;
            this.closeAbove = closeAbove;
            this.outputBudget = outputBudget;
            this.maxConnections = maxConnections;
            this.lingerMillis = lingerMillis;
            this.waitStrategy = waitStrategy;
            this.uringEntries = uringEntries;
            this.uringBuffers = uringBuffers;
            this.uringBufferSize = uringBufferSize;
            this.uringQuietReceives = uringQuietReceives;
        }

        /** Sets {@link LoopOptions#backend()}; returns this builder. */
        public Builder backend(Backend v) { backend = v; return this; }

        /** Sets {@link LoopOptions#readBufferSize()}; returns this builder. */
        public Builder readBufferSize(int v) { readBufferSize = v; return this; }

        /** Sets {@link LoopOptions#eventCapacity()}; returns this builder. */
        public Builder eventCapacity(int v) { eventCapacity = v; return this; }

        /** Sets {@link LoopOptions#readsPerTurn()}; returns this builder. */
        public Builder readsPerTurn(int v) { readsPerTurn = v; return this; }

        /** Sets {@link LoopOptions#acceptsPerTurn()}; returns this builder. */
        public Builder acceptsPerTurn(int v) { acceptsPerTurn = v; return this; }

        /** Sets {@link LoopOptions#pauseReadingAbove()}; returns this builder. */
        public Builder pauseReadingAbove(long v) { pauseReadingAbove = v; return this; }

        /** Sets {@link LoopOptions#closeAbove()}; returns this builder. */
        public Builder closeAbove(long v) { closeAbove = v; return this; }

        /** Sets {@link LoopOptions#outputBudget()}; returns this builder. */
        public Builder outputBudget(long v) { outputBudget = v; return this; }

        /** Sets {@link LoopOptions#maxConnections()}; returns this builder. */
        public Builder maxConnections(int v) { maxConnections = v; return this; }

        /** Sets {@link LoopOptions#lingerMillis()}; returns this builder. */
        public Builder lingerMillis(long v) { lingerMillis = v; return this; }

        /** Sets {@link LoopOptions#waitStrategy()}; returns this builder. */
        public Builder waitStrategy(WaitStrategy v) { waitStrategy = v; return this; }

        /** Sets {@link LoopOptions#uringEntries()}; returns this builder. */
        public Builder uringEntries(int v) { uringEntries = v; return this; }

        /** Sets {@link LoopOptions#uringBuffers()}; returns this builder. */
        public Builder uringBuffers(int v) { uringBuffers = v; return this; }

        /** Sets {@link LoopOptions#uringBufferSize()}; returns this builder. */
        public Builder uringBufferSize(int v) { uringBufferSize = v; return this; }

        /** Sets {@link LoopOptions#uringQuietReceives()}; returns this builder. */
        public Builder uringQuietReceives(int v) { uringQuietReceives = v; return this; }

        /**
         * {@return the options}
         *
         * @throws IllegalArgumentException naming the first bad setting
         */
        public LoopOptions build() {
            return new LoopOptions(backend, readBufferSize, eventCapacity, readsPerTurn, acceptsPerTurn,
                    pauseReadingAbove, closeAbove, outputBudget, maxConnections, lingerMillis, waitStrategy,
                    uringEntries, uringBuffers, uringBufferSize, uringQuietReceives);
        }
    }
}
