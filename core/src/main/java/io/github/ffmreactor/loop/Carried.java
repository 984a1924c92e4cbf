package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * Edge triggering: connections whose read budget ran out in this turn, to read again in the next
 * one without waiting for a new edge. Two arrays swap each turn, so a connection carried again
 * while the batch runs lands in the next batch. Loop thread only; no allocation in steady state.
 */
final class Carried {
    private ReadinessStream[] now = new ReadinessStream[16];
    private int count;
    private final Counters counters;

    Carried(Counters counters) {
        this.counters = counters;
    }
    private ReadinessStream[] next = new ReadinessStream[16];

    boolean isEmpty() {
        return count == 0;
    }

    void add(ReadinessStream c) {
        if (c.carried) return;
        c.carried = true;
        counters.carried();
        if (count == now.length) now = Arrays.copyOf(now, count * 2);
        now[count++] = c;
    }

    /** Reads once more from every connection carried so far; how many there were. */
    int run(EventLoop loop) {
        int n = count;
        if (n == 0) return 0;
        ReadinessStream[] batch = now;
        now = next;
        next = batch;
        count = 0;
        if (now.length < batch.length) now = new ReadinessStream[batch.length];
        for (int i = 0; i < n; i++) {
            ReadinessStream c = batch[i];
            batch[i] = null;
            c.carried = false;
            if (c.connection().fd < 0) continue;
            try {
                c.readInput(false);
            } catch (Throwable t) {
                loop.failures.fail(c.connection(), t);
            }
        }
        return n;
    }
}
