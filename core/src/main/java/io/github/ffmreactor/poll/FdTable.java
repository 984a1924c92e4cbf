package io.github.ffmreactor.poll;

import java.util.Arrays;

/**
 * The registrations of the backends that keep them in Java (poll, select, Winsock select): one
 * dense entry per fd (its key, interest and token), found by key through a {@link LongIntTable};
 * removal moves the last entry into the hole, so entries stay packed and a wait walks only
 * what is registered. Also holds the ready events of the last wait, read back by index.
 *
 * <p>Keys are the fd as an unsigned 32-bit number (on Windows, a SOCKET handle's low 32 bits).
 * Nothing is allocated per wait or per event; registering past the capacity grows the arrays
 * when {@code growable}, and is refused otherwise.
 */
final class FdTable {
    private final boolean growable;
    private long[] keys;
    private int[] interests;
    private long[] tokens;
    private LongIntTable index;
    private int count;
    private long[] readyTokens;
    private int[] readyBits;
    private int readyCount;

    FdTable(int capacity, boolean growable) {
        this.growable = growable;
        alloc(Math.max(2, capacity));
    }

    private void alloc(int cap) {
        keys = keys == null ? new long[cap] : Arrays.copyOf(keys, cap);
        interests = interests == null ? new int[cap] : Arrays.copyOf(interests, cap);
        tokens = tokens == null ? new long[cap] : Arrays.copyOf(tokens, cap);
        readyTokens = new long[cap];
        readyBits = new int[cap];
        index = new LongIntTable(cap);
        for (int i = 0; i < count; i++) index.put(keys[i], i);
    }

    static long key(int fd) {
        return Integer.toUnsignedLong(fd);
    }

    /** The entry of {@code fd}, or -1. */
    int entry(int fd) {
        return index.get(key(fd));
    }

    int count() {
        return count;
    }

    int capacity() {
        return keys.length;
    }

    /** Adds {@code fd} (not yet present) as the last entry and returns that entry. */
    int add(int fd, int interest, long token) {
        if (count == keys.length) {
            if (!growable) throw new IllegalStateException("fd table full: " + count + " entries");
            alloc(keys.length * 2);
        }
        int i = count++;
        keys[i] = key(fd);
        interests[i] = interest;
        tokens[i] = token;
        index.put(keys[i], i);
        return i;
    }

    void set(int entry, int interest, long token) {
        interests[entry] = interest;
        tokens[entry] = token;
    }

    /**
     * Removes entry {@code i}, moving the last entry into its place; returns the entry that moved
     * there from {@link #count()} (the old last), or -1 when {@code i} was the last.
     */
    int remove(int i) {
        index.remove(keys[i]);
        int last = --count;
        if (i == last) return -1;
        keys[i] = keys[last];
        interests[i] = interests[last];
        tokens[i] = tokens[last];
        index.put(keys[i], i);
        return last;
    }

    int fd(int entry) {
        return (int) keys[entry];
    }


    int interest(int entry) {
        return interests[entry];
    }

    long token(int entry) {
        return tokens[entry];
    }

    // ---- the ready events of the last wait ----

    void clearReady() {
        readyCount = 0;
    }

    /** Records entry {@code i} as ready with {@code bits}. */
    void ready(int entry, int bits) {
        readyTokens[readyCount] = tokens[entry];
        readyBits[readyCount] = bits;
        readyCount++;
    }

    int readyCount() {
        return readyCount;
    }

    long readyToken(int i) {
        return readyTokens[i];
    }

    int readyBits(int i) {
        return readyBits[i];
    }
}
