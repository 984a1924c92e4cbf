package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * A list of readiness connections to visit once at a set point of the turn ({@link Carried}:
 * reads carried to the next turn; {@link PendingFlushes}: deferred output written before the
 * wait). Two arrays swap per run, so a connection listed again while the batch runs lands in the
 * next batch. Each subclass keeps its own "listed" flag on the stream, so a connection is listed
 * once. Loop thread only; no allocation in steady state.
 */
abstract class StreamBatch {
    /**
     * Room for this many connections per batch before the arrays grow: a growth is a branch the
     * JIT compiled as never taken, and its first use deoptimizes the turn (kv's first 50-client
     * test did, after a warm-up with fewer clients). 2 KiB per loop and batch kind.
     */
    static final int INITIAL = 256;

    private ReadinessStream[] now = new ReadinessStream[INITIAL];
    private ReadinessStream[] next = new ReadinessStream[INITIAL];
    private int count;

    final boolean isEmpty() {
        return count == 0;
    }

    final void push(ReadinessStream s) {
        if (count == now.length) now = Arrays.copyOf(now, count * 2);
        now[count++] = s;
    }

    /** Visits every connection listed so far, failures contained per connection; how many there were. */
    final int run(Failures failures) {
        int n = count;
        if (n == 0) return 0;
        ReadinessStream[] batch = now;
        now = next;
        next = batch;
        count = 0;
        if (now.length < batch.length) now = new ReadinessStream[batch.length];
        for (int i = 0; i < n; i++) {
            ReadinessStream s = batch[i];
            batch[i] = null;
            try {
                visit(s);
            } catch (Throwable t) {
                failures.fail(s.connection(), t);
            }
        }
        return n;
    }

    /** One listed connection's turn: clears its flag, then does the work if it is still open. */
    abstract void visit(ReadinessStream s);
}
