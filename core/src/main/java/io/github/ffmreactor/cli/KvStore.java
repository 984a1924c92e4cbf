package io.github.ffmreactor.cli;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@code kv} server's keys and values: an open-addressing hash table (linear probing, deletion
 * by backward shift, so no tombstones) over parallel arrays, looked up by the bytes of a request
 * as they lie in the read buffer: a {@code GET} hashes and compares those bytes and allocates
 * nothing. Keys and values are byte arrays that are never changed once stored (a {@code SET}
 * stores a new array), so a reader may use a value after the lock is released.
 *
 * <p>One store serves every loop of a server. Each method holds the store's monitor; a caller
 * that needs several operations at once ({@code MSET}) holds it around them. An uncontended
 * monitor costs a compare-and-swap and allocates nothing.
 *
 * <p>Expiry: a key with a deadline is checked when it is touched (lazily), and {@link #sweep}
 * removes expired keys that nobody touches, a bounded number of slots per call (the server calls
 * it from a loop timer).
 */
final class KvStore {
    static final int OK = 0, NOT_INTEGER = 1, OVERFLOW = 2;
    /** For {@link #set}: keep the key's deadline (KEEPTTL). */
    static final long KEEP_TTL = -1;
    static final int ALWAYS = 0, IF_ABSENT = 1, IF_PRESENT = 2;

    private byte[][] keys = new byte[16][];
    private byte[][] vals = new byte[16][];
    private int[] hashes = new int[16];
    /** Deadline in {@link #nowMillis()} time; 0: none. */
    private long[] deadlines = new long[16];
    private int size;
    private int sweepCursor;
    private long expired;

    /** The clock deadlines are kept in: monotonic milliseconds. */
    static long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }

    static int hash(MemorySegment seg, long off, int len) {
        int h = 0x9747b28c;
        for (long i = off, end = off + len; i < end; i++) h = (h ^ seg.get(ValueLayout.JAVA_BYTE, i)) * 0x01000193;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }

    private int find(MemorySegment seg, long off, int len, int h) {
        int mask = keys.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) return -1;
            if (hashes[i] == h && k.length == len && same(seg, off, k)) return i;
        }
    }

    private static boolean same(MemorySegment seg, long off, byte[] k) {
        for (int i = 0; i < k.length; i++) if (seg.get(ValueLayout.JAVA_BYTE, off + i) != k[i]) return false;
        return true;
    }

    /** The live entry for the key, or -1; an expired one is removed on the way. */
    private int live(MemorySegment seg, long off, int len) {
        int i = find(seg, off, len, hash(seg, off, len));
        if (i >= 0 && deadlines[i] != 0 && deadlines[i] <= nowMillis()) {
            removeAt(i);
            expired++;
            return -1;
        }
        return i;
    }

    /** The value, or null. */
    synchronized byte[] get(MemorySegment seg, long off, int len) {
        int i = live(seg, off, len);
        return i < 0 ? null : vals[i];
    }

    synchronized boolean exists(MemorySegment seg, long off, int len) {
        return live(seg, off, len) >= 0;
    }

    synchronized boolean delete(MemorySegment seg, long off, int len) {
        int i = live(seg, off, len);
        if (i < 0) return false;
        removeAt(i);
        return true;
    }

    /**
     * Stores a copy of the value. {@code deadline}: 0 for none, {@link #KEEP_TTL}, else a
     * {@link #nowMillis()} time. {@code when}: ALWAYS, IF_ABSENT (NX), IF_PRESENT (XX). Returns
     * whether it stored.
     */
    synchronized boolean set(MemorySegment ks, long koff, int klen, MemorySegment vs, long voff, int vlen, long deadline,
                             int when) {
        int i = live(ks, koff, klen);
        if ((when == IF_ABSENT && i >= 0) || (when == IF_PRESENT && i < 0)) return false;
        byte[] v = new byte[vlen];
        MemorySegment.copy(vs, ValueLayout.JAVA_BYTE, voff, v, 0, vlen);
        if (i >= 0) {
            vals[i] = v;
            if (deadline != KEEP_TTL) deadlines[i] = deadline;
            return true;
        }
        byte[] k = new byte[klen];
        MemorySegment.copy(ks, ValueLayout.JAVA_BYTE, koff, k, 0, klen);
        insert(k, v, deadline == KEEP_TTL ? 0 : deadline);
        return true;
    }

    /**
     * INCR: {@code out[0]} gets the new value. Returns OK, NOT_INTEGER (the value is not a
     * decimal 64-bit integer) or OVERFLOW. The key keeps its deadline, as in Redis.
     */
    synchronized int increment(MemorySegment seg, long off, int len, long[] out) {
        int i = live(seg, off, len);
        long v = 0;
        if (i >= 0) {
            byte[] cur = vals[i];
            v = RespParser.number(MemorySegment.ofArray(cur), 0, cur.length);
            if (v == Long.MIN_VALUE || !canonical(cur)) return NOT_INTEGER;
        }
        if (v == Long.MAX_VALUE) return OVERFLOW;
        v++;
        byte[] text = Long.toString(v).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (i >= 0) {
            vals[i] = text;
        } else {
            byte[] k = new byte[len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, k, 0, len);
            insert(k, text, 0);
        }
        out[0] = v;
        return OK;
    }

    /** Redis takes "12" but not "012", "-0", "+1" or " 1" for an integer. */
    private static boolean canonical(byte[] s) {
        if (s.length == 0) return false;
        int first = s[0] == '-' ? 1 : 0;
        if (first == s.length) return false;
        if (s[first] == '0') return s.length == 1;
        return true;
    }

    synchronized int size() {
        return size;
    }

    /** Keys removed because their deadline passed (found lazily or by the sweep). */
    synchronized long expired() {
        return expired;
    }

    /** Looks at up to {@code slots} slots from where the last sweep stopped and removes expired keys. */
    synchronized int sweep(int slots) {
        long now = nowMillis();
        int removed = 0;
        int mask = keys.length - 1;
        for (int n = 0; n < slots && size > 0; n++) {
            int i = sweepCursor & mask;
            if (keys[i] != null && deadlines[i] != 0 && deadlines[i] <= now) {
                removeAt(i); // a later key may have shifted into slot i: look at it again
                removed++;
                expired++;
            } else {
                sweepCursor = (i + 1) & mask;
            }
        }
        return removed;
    }

    private void insert(byte[] k, byte[] v, long deadline) {
        if ((size + 1) * 2 > keys.length) grow();
        int h = hash(MemorySegment.ofArray(k), 0, k.length);
        int mask = keys.length - 1;
        int i = h & mask;
        while (keys[i] != null) i = (i + 1) & mask;
        keys[i] = k;
        vals[i] = v;
        hashes[i] = h;
        deadlines[i] = deadline;
        size++;
    }

    private void grow() {
        byte[][] ok = keys, ov = vals;
        int[] oh = hashes;
        long[] od = deadlines;
        int cap = ok.length * 2, mask = cap - 1;
        keys = new byte[cap][];
        vals = new byte[cap][];
        hashes = new int[cap];
        deadlines = new long[cap];
        for (int j = 0; j < ok.length; j++) {
            if (ok[j] == null) continue;
            int i = oh[j] & mask;
            while (keys[i] != null) i = (i + 1) & mask;
            keys[i] = ok[j];
            vals[i] = ov[j];
            hashes[i] = oh[j];
            deadlines[i] = od[j];
        }
    }

    /** Backward-shift deletion: later keys of the same probe run move up, so lookups never need tombstones. */
    private void removeAt(int i) {
        int mask = keys.length - 1;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (keys[j] == null) break;
            int home = hashes[j] & mask;
            // Entry j may fill the hole at i unless its home lies cyclically in (i, j].
            boolean stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (stays) continue;
            keys[i] = keys[j];
            vals[i] = vals[j];
            hashes[i] = hashes[j];
            deadlines[i] = deadlines[j];
            i = j;
        }
        keys[i] = null;
        vals[i] = null;
        hashes[i] = 0;
        deadlines[i] = 0;
        size--;
    }
}
