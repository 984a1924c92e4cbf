package io.github.ffmreactor.loop;

/**
 * Edge triggering: connections whose read budget ran out in this turn, to read again in the next
 * one without waiting for a new edge (a connection carried again while the batch runs lands in
 * the next batch). Loop thread only; no allocation in steady state.
 */
final class Carried extends StreamBatch {
    private final Counters counters;

    Carried(Counters counters) {
        this.counters = counters;
    }

    void add(ReadinessStream c) {
        if (c.carried) return;
        c.carried = true;
        counters.carried();
        push(c);
    }

    @Override
    void visit(ReadinessStream c) {
        c.carried = false;
        if (c.connection().fd >= 0) c.readInput(false);
    }
}
