package io.github.ffmreactor.loop;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A loop's timers: a binary min-heap of deadlines (a {@code long[]} beside the {@link Timer}
 * array, so sifting compares longs without chasing references). Each timer knows its heap index,
 * so cancelling is O(log n). Loop thread only; no thread per timer.
 */
final class Timers {
    private long[] deadlines = new long[16];
    private Timer[] heap = new Timer[16];
    private int size;
    private long sequence;

    int size() {
        return size;
    }

    void add(Timer t) {
        if (t.cancelled || t.index >= 0) return;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
            deadlines = Arrays.copyOf(deadlines, size * 2);
        }
        t.order = sequence++;
        int i = size++;
        place(t, i);
        siftUp(i);
    }

    void remove(Timer t) {
        int i = t.index;
        if (i < 0 || i >= size || heap[i] != t) return;
        t.index = -1;
        int last = --size;
        if (i != last) {
            place(heap[last], i);
            heap[last] = null;
            siftDown(i);
            siftUp(i);
        } else {
            heap[last] = null;
        }
    }

    /** A wait's {@code timeout} in ms (0: none, negative: no limit) cut to the nearest deadline. */
    int shorten(int timeout, Clock clock) {
        if (timeout == 0 || size == 0) return timeout;
        int t = timeoutMillis(clock.nanoTime());
        return timeout < 0 ? t : Math.min(timeout, t);
    }

    /**
     * Milliseconds the poller may sleep before the nearest deadline: rounded up, so the loop never
     * wakes a little early and spins on a 0 ms poll; 0 if one is due; -1 if there are no timers.
     */
    int timeoutMillis(long now) {
        if (size == 0) return -1;
        long d = deadlines[0] - now;
        if (d <= 0) return 0;
        long ms = (d + 999_999) / 1_000_000;
        return ms > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) ms;
    }

    /**
     * Runs every timer due at {@code now}, earliest first (ties in the order they were scheduled).
     * A fixed-rate timer is put back for its next period; if the loop fell a period or more
     * behind, the missed runs are skipped rather than fired in a burst.
     */
    int runDue(Clock clock, Failures failures) {
        long now = clock.nanoTime();
        int ran = 0;
        // Bounded: timers added by these tasks with a zero delay wait for the next turn.
        for (int budget = size; size > 0 && budget > 0 && deadlines[0] - now <= 0; budget--) {
            Timer t = heap[0];
            remove(t);
            if (t.cancelled) continue;
            if (t.periodNanos > 0) {
                long p = t.periodNanos;
                long next = t.deadline + p;
                // Behind by a period or more: skip to the next point of the same grid (no burst
                // of catch-up runs, and no drift: the k-th run stays due at start + k * period).
                if (next - now <= 0) next = t.deadline + ((now - t.deadline) / p + 1) * p;
                t.deadline = next;
                add(t);
            } else {
                t.fired = true;
            }
            ran++;
            try {
                t.task.run();
            } catch (Throwable e) {
                failures.report(null, e);
            }
        }
        return ran;
    }

    /** The loop ends: every timer still pending ends cancelled (isCancelled and isDone say so). */
    void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].cancelled = true;
            heap[i].index = -1;
            heap[i] = null;
        }
        size = 0;
    }

    private void place(Timer t, int i) {
        heap[i] = t;
        deadlines[i] = t.deadline;
        t.index = i;
    }

    private boolean less(int a, int b) {
        long d = deadlines[a] - deadlines[b];
        return d < 0 || (d == 0 && heap[a].order < heap[b].order);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(i, p)) return;
            swap(i, p);
            i = p;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) return;
            int m = l + 1 < size && less(l + 1, l) ? l + 1 : l;
            if (!less(m, i)) return;
            swap(i, m);
            i = m;
        }
    }

    private void swap(int a, int b) {
        Timer ta = heap[a], tb = heap[b];
        place(tb, a);
        place(ta, b);
    }

    /**
     * The longest delay a timer keeps: 2^62 ns, about 146 years. Deadlines are compared by
     * subtraction (nanoTime may wrap), which is exact only while two deadlines are less than 2^63
     * apart; a longer delay is cut to this rather than overflowing into the past and firing at once.
     */
    static final long MAX_DELAY_NANOS = 1L << 62;

    /** The deadline {@code delay} after {@code now}: never before now, never overflowing. */
    static long deadline(long now, long delay, TimeUnit unit) {
        return now + Math.min(Math.max(0, unit.toNanos(delay)), MAX_DELAY_NANOS);
    }

    /** A duration in nanoseconds, cut to {@link #MAX_DELAY_NANOS} (Duration.toNanos throws past 292 years). */
    static long saturatedNanos(Duration d) {
        if (d.isNegative()) return 0;
        return d.compareTo(Duration.ofNanos(MAX_DELAY_NANOS)) >= 0 ? MAX_DELAY_NANOS : d.toNanos();
    }
}
