package io.github.ffmreactor.kv;

/**
 * The {@code kv} server's memory limits, named after Redis's settings.
 *
 * @param maxBulk           the longest argument accepted (Redis's {@code proto-max-bulk-len})
 * @param queryBufferLimit  the most bytes held for one unfinished command; over it the client is
 *                          sent a protocol error and closed (Redis's {@code client-query-buffer-limit})
 * @param outputBufferLimit the most reply bytes queued for one client; a client over it is closed
 *                          and counted (Redis's {@code client-output-buffer-limit}). Long values
 *                          go out by reference and do not count against it while they wait
 */
public record KvConfig(long maxBulk, long queryBufferLimit, long outputBufferLimit) {
    public static final long DEFAULT_MAX_BULK = 512L << 20;
    public static final long DEFAULT_QUERY_BUFFER_LIMIT = 1L << 30;
    public static final long DEFAULT_OUTPUT_BUFFER_LIMIT = 32L << 20;
    /** The least output limit: one chunk of a long value plus the loop's pause threshold must fit. */
    public static final long MIN_OUTPUT_BUFFER_LIMIT = 1L << 20;

    public KvConfig {
        if (maxBulk < 1 || maxBulk > Integer.MAX_VALUE - (1 << 20)) throw new IllegalArgumentException("maxBulk out of range: " + maxBulk);
        if (queryBufferLimit < 1024) throw new IllegalArgumentException("queryBufferLimit < 1024: " + queryBufferLimit);
        if (outputBufferLimit < MIN_OUTPUT_BUFFER_LIMIT) {
            throw new IllegalArgumentException("outputBufferLimit < " + MIN_OUTPUT_BUFFER_LIMIT + ": " + outputBufferLimit);
        }
    }

    public static KvConfig defaults() {
        return new KvConfig(DEFAULT_MAX_BULK, DEFAULT_QUERY_BUFFER_LIMIT, DEFAULT_OUTPUT_BUFFER_LIMIT);
    }

    /** The held bytes a command with a maximal argument needs: never below one such command. */
    long effectiveQueryLimit() {
        return Math.min(Integer.MAX_VALUE - 16, queryBufferLimit);
    }
}
