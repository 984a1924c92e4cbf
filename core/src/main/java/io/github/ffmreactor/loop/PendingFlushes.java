package io.github.ffmreactor.loop;

/**
 * A readiness engine's connections that deferred their flush and have output queued (Redis's
 * clients-with-pending-writes list): each is listed once, and written before the turn's wait with
 * one write(2) or writev(2). A connection listed again while the batch runs (a handler's
 * onDrained answering with more writes) lands in the next batch, and the wait that follows must
 * not sleep. Loop thread only; no allocation in steady state.
 */
final class PendingFlushes extends StreamBatch {
    /** Lists {@code s} if it is not listed already. */
    void add(ReadinessStream s) {
        if (s.flushListed) return;
        s.flushListed = true;
        push(s);
    }

    @Override
    void visit(ReadinessStream s) {
        s.flushFromList();
    }
}
