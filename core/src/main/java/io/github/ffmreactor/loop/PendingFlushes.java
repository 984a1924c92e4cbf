package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * A readiness engine's connections that deferred their flush and have output queued (Redis's
 * clients-with-pending-writes list): each is listed once, and written before the turn's wait with
 * one write(2) or writev(2). Two arrays swap per run, so a connection listed again while the
 * batch runs (a handler's onDrained answering with more writes) lands in the next batch, and the
 * wait that follows must not sleep. Loop thread only; no allocation in steady state.
 */
final class PendingFlushes {
    private ReadinessStream[] now = new ReadinessStream[16];
    private ReadinessStream[] next = new ReadinessStream[16];
    private int count;

    boolean isEmpty() {
        return count == 0;
    }

    /** Lists {@code s}, which has marked itself ({@code flushListed}). */
    void add(ReadinessStream s) {
        if (count == now.length) now = Arrays.copyOf(now, count * 2);
        now[count++] = s;
    }

    /** Writes every connection listed so far; failures are contained per connection. */
    void run(Failures failures) {
        int n = count;
        if (n == 0) return;
        ReadinessStream[] batch = now;
        now = next;
        next = batch;
        count = 0;
        if (now.length < batch.length) now = new ReadinessStream[batch.length];
        for (int i = 0; i < n; i++) {
            ReadinessStream s = batch[i];
            batch[i] = null;
            try {
                s.flushFromList();
            } catch (Throwable t) {
                failures.fail(s.connection(), t);
            }
        }
    }
}
