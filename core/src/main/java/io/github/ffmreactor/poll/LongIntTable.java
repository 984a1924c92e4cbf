package io.github.ffmreactor.poll;

/**
 * A fixed-capacity open-addressing map from a non-negative {@code long} key (an fd, or a Winsock
 * SOCKET handle, as an unsigned number) to an {@code int} (its entry in the {@link FdTable}): no boxing, no allocation after
 * construction. Linear probing; removal re-inserts the rest of the cluster, so there are no
 * tombstones and lookups stay short.
 */
final class LongIntTable {
    private final long[] keys;   // key + 1; 0 marks an empty slot
    private final int[] values;
    private final int mask;
    private int size;
    private final int maxSize;

    /** A table for up to {@code maxSize} keys (at most half full). */
    LongIntTable(int maxSize) {
        int cap = Integer.highestOneBit(Math.max(2, maxSize) * 2 - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        mask = cap - 1;
        this.maxSize = maxSize;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (keys[i] != 0 && keys[i] != key + 1) i = (i + 1) & mask;
        return i;
    }

    /** The value of {@code key}, or -1. */
    int get(long key) {
        int i = slot(key);
        return keys[i] == 0 ? -1 : values[i];
    }

    /** Sets {@code key} to {@code value} (adding it if new). */
    void put(long key, int value) {
        if (key < 0) throw new IllegalArgumentException("negative key " + key);
        int i = slot(key);
        if (keys[i] == 0) {
            if (size == maxSize) throw new IllegalStateException("table full: " + maxSize + " keys");
            keys[i] = key + 1;
            size++;
        }
        values[i] = value;
    }

    /** Removes {@code key}; returns whether it was there. */
    boolean remove(long key) {
        int i = slot(key);
        if (keys[i] == 0) return false;
        keys[i] = 0;
        size--;
        for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
            long k = keys[j];
            int v = values[j];
            keys[j] = 0;
            int t = slot(k - 1);
            keys[t] = k;
            values[t] = v;
        }
        return true;
    }

    int size() {
        return size;
    }
}
