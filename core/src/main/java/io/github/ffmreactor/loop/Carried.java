package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * Edge triggering: connections whose read budget ran out in this turn, to read again in the next
 * one without waiting for a new edge. Two arrays swap each turn, so a connection carried again
 * while the batch runs lands in the next batch. Loop thread only; no allocation in steady state.
 */
final class Carried {
    private Connection[] now = new Connection[16];
    private int count;
    private Connection[] next = new Connection[16];
    /** How many times a connection was carried (LoopStats.carried). */
    long total;

    boolean isEmpty() {
        return count == 0;
    }

    void add(Connection c) {
        if (c.carried) return;
        c.carried = true;
        total++;
        if (count == now.length) now = Arrays.copyOf(now, count * 2);
        now[count++] = c;
    }

    /** Reads once more from every connection carried so far. */
    void run(EventLoop loop) {
        int n = count;
        if (n == 0) return;
        Connection[] batch = now;
        now = next;
        next = batch;
        count = 0;
        if (now.length < batch.length) now = new Connection[batch.length];
        for (int i = 0; i < n; i++) {
            Connection c = batch[i];
            batch[i] = null;
            c.carried = false;
            if (c.fd < 0) continue;
            try {
                c.readInput(false);
            } catch (Throwable t) {
                loop.fail(c, t);
            }
        }
    }
}
