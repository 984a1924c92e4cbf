package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The keys and values: an open-addressing hash table (linear probing, deletion by backward shift,
 * so no tombstones) over parallel arrays, looked up by the bytes of a request as they lie in the
 * read buffer: a {@code GET} hashes and compares those bytes and allocates nothing. Keys are byte
 * arrays; a value is a byte array, or a {@link BigValue} off the heap from {@link BigValue#SIZE}
 * bytes ({@link #valueOf}). Neither is changed once stored (a write stores a new one), so a reply
 * may send a value by reference after the lock is released; the store lets go of a big value when
 * it is replaced or removed, and the replies still sending it hold their own reference.
 *
 * <p>The hash is SipHash under a key drawn per store from {@link SecureRandom}: keys chosen to
 * collide cannot be computed without it.
 *
 * <p>One store serves every loop of a server. The caller holds {@link #lock} around each command
 * (the command table takes it, {@link Call#lockStore}), so a command sees one consistent store:
 * MGET, DEL and EXISTS over many keys, a transaction's EXEC.
 *
 * <p>Expiry: a key with a deadline is checked when it is touched (lazily), and {@link #sweep}
 * removes expired keys nobody touches, a bounded number of slots per call (from a loop timer).
 */
final class KvStore {
    /** Deadlines are monotonic milliseconds; 0: none. */
    static final long NO_DEADLINE = 0;

    /**
     * Held by a loop from its first command that touches keys to the end of that read's commands
     * (not per command: a pipelined read of 16 GETs takes it once), by the expiry sweep and by
     * the counters.
     */
    final ReentrantLock lock = new ReentrantLock();
    private final SipHash sip;
    private byte[][] keys = new byte[16][];
    /** byte[] or BigValue. */
    private Object[] vals = new Object[16];
    private int[] hashes = new int[16];
    private long[] deadlines = new long[16];
    private int size, withDeadline;
    private int sweepCursor;
    private long expired;

    KvStore() {
        SecureRandom r = new SecureRandom();
        sip = new SipHash(r.nextLong(), r.nextLong(), 1, 3);
    }

    private static final long ORIGIN = System.nanoTime();

    /** The clock deadlines are kept in: monotonic milliseconds, 1 or more (0 means no deadline). */
    static long nowMillis() {
        return (System.nanoTime() - ORIGIN) / 1_000_000 + 1;
    }

    int hash(MemorySegment seg, long off, int len) {
        long h = sip.hash(seg, off, len);
        return (int) (h ^ (h >>> 32));
    }

    private int find(MemorySegment seg, long off, int len, int h) {
        int mask = keys.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) return -1;
            if (hashes[i] == h && k.length == len && same(seg, off, k)) return i;
        }
    }

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_WORD =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Compares 8 bytes at a time. Not {@code MemorySegment.mismatch} with {@code ofArray(k)}: that
     * wraps the key in a new segment on every lookup, which only escape analysis removes, and
     * not always (measured: 32 B per GET in a full test run, after other code had run through the
     * loop; this loop allocates nothing even in C1-only code).
     */
    private static boolean same(MemorySegment seg, long off, byte[] k) {
        int n = k.length, i = 0;
        for (; i + 8 <= n; i += 8) if (seg.get(WORD, off + i) != (long) ARRAY_WORD.get(k, i)) return false;
        for (; i < n; i++) if (seg.get(ValueLayout.JAVA_BYTE, off + i) != k[i]) return false;
        return true;
    }

    /** The slot of the live entry for the key, or -1; an expired one is removed on the way. */
    int slot(MemorySegment seg, long off, int len) {
        int i = find(seg, off, len, hash(seg, off, len));
        if (i >= 0 && deadlines[i] != NO_DEADLINE && deadlines[i] <= nowMillis()) {
            removeAt(i);
            expired++;
            return -1;
        }
        return i;
    }

    /** The value at a live slot: byte[] or {@link BigValue}. */
    Object value(int slot) {
        return vals[slot];
    }

    /** A stored value for the bytes {@code seg[off, off+len)}: a copy, on the heap or, from {@link BigValue#SIZE}, off it. */
    static Object valueOf(MemorySegment seg, long off, int len) {
        if (len >= BigValue.SIZE) return BigValue.copyOf(seg, off, len);
        byte[] v = new byte[len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, v, 0, len);
        return v;
    }

    /** A value's length in bytes. */
    static int length(Object v) {
        return v instanceof byte[] b ? b.length : ((BigValue) v).length();
    }

    /** A value's bytes as a segment (a view: no copy). */
    static MemorySegment bytes(Object v) {
        return v instanceof byte[] b ? MemorySegment.ofArray(b) : ((BigValue) v).bytes;
    }

    /** The store no longer holds {@code v}: a big value may be freed (once no reply sends it). */
    private static void release(Object v) {
        if (v instanceof BigValue g) g.run();
    }

    long deadline(int slot) {
        return deadlines[slot];
    }

    /** The value (byte[] or {@link BigValue}), or null. */
    Object get(MemorySegment seg, long off, int len) {
        int i = slot(seg, off, len);
        return i < 0 ? null : vals[i];
    }

    /** Replaces the value at a live slot, keeping its deadline. */
    void replace(int slot, Object v) {
        release(vals[slot]);
        vals[slot] = v;
    }

    void setDeadline(int slot, long deadline) {
        if ((deadlines[slot] == NO_DEADLINE) != (deadline == NO_DEADLINE)) withDeadline += deadline == NO_DEADLINE ? -1 : 1;
        deadlines[slot] = deadline;
    }

    /** Stores {@code v} (not copied) under a copy of the key; a key already there must have been looked up first. */
    void add(MemorySegment seg, long off, int len, Object v, long deadline) {
        byte[] k = new byte[len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, k, 0, len);
        insert(k, v, deadline);
    }

    /** Sets the key to {@code v} (stored as it is: a {@link #valueOf} copy, or a value held for the store) with {@code deadline}. */
    void put(MemorySegment ks, long koff, int klen, Object v, long deadline) {
        int i = slot(ks, koff, klen);
        if (i < 0) {
            add(ks, koff, klen, v, deadline);
        } else {
            replace(i, v);
            setDeadline(i, deadline);
        }
    }

    void removeSlot(int slot) {
        removeAt(slot);
    }

    int size() {
        return size;
    }

    int withDeadline() {
        return withDeadline;
    }

    /** Keys removed because their deadline passed (found lazily or by the sweep). */
    long expired() {
        return expired;
    }

    void clear() {
        for (Object v : vals) release(v);
        keys = new byte[16][];
        vals = new Object[16];
        hashes = new int[16];
        deadlines = new long[16];
        size = withDeadline = 0;
        sweepCursor = 0;
    }

    /**
     * One step of SCAN from {@code cursor}: every live key whose home bucket the cursor visits,
     * buckets taken in reverse-binary order (Redis's {@code dictScan}) until {@code count} keys
     * have gone by or ten times as many buckets (Redis's bound on empty ones). A key present from
     * the first call to the last is returned at least once even if the table grows between calls.
     * Returns the next cursor; 0 when done.
     */
    long scan(long cursor, int count, Consumer<byte[]> out) {
        if (size == 0) return 0;
        long now = nowMillis();
        int mask = keys.length - 1;
        long c = cursor & mask;
        long found = 0, buckets = 0, maxBuckets = 10L * count;
        do {
            int home = (int) c;
            for (int i = home; keys[i] != null; i = (i + 1) & mask) { // home's keys lie in the run from home
                if ((hashes[i] & mask) == home && (deadlines[i] == NO_DEADLINE || deadlines[i] > now)) {
                    out.accept(keys[i]);
                    found++;
                }
            }
            // Reverse-binary increment: set the bits above the mask, add one from the top, clear them.
            c |= ~(long) mask;
            c = Long.reverse(Long.reverse(c) + 1);
            c &= mask;
            buckets++;
        } while (c != 0 && found < count && buckets < maxBuckets);
        return c;
    }

    /** Looks at up to {@code slots} slots from where the last sweep stopped and removes expired keys. */
    int sweep(int slots) {
        long now = nowMillis();
        int removed = 0;
        int mask = keys.length - 1;
        for (int n = 0; n < slots && withDeadline > 0; n++) {
            int i = sweepCursor & mask;
            if (keys[i] != null && deadlines[i] != NO_DEADLINE && deadlines[i] <= now) {
                removeAt(i); // a later key may have shifted into slot i: look at it again
                removed++;
                expired++;
            } else {
                sweepCursor = (i + 1) & mask;
            }
        }
        return removed;
    }

    private void insert(byte[] k, Object v, long deadline) {
        if ((size + 1) * 2 > keys.length) grow();
        int h = hash(MemorySegment.ofArray(k), 0, k.length);
        int mask = keys.length - 1;
        int i = h & mask;
        while (keys[i] != null) i = (i + 1) & mask;
        keys[i] = k;
        vals[i] = v;
        hashes[i] = h;
        deadlines[i] = deadline;
        if (deadline != NO_DEADLINE) withDeadline++;
        size++;
    }

    private void grow() {
        byte[][] ok = keys;
        Object[] ov = vals;
        int[] oh = hashes;
        long[] od = deadlines;
        int cap = ok.length * 2, mask = cap - 1;
        keys = new byte[cap][];
        vals = new Object[cap];
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
        if (deadlines[i] != NO_DEADLINE) withDeadline--;
        release(vals[i]);
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

    /** Probes a lookup of the key takes (for the collision test). */
    int probes(MemorySegment seg, long off, int len) {
        int mask = keys.length - 1;
        int n = 1;
        for (int i = hash(seg, off, len) & mask; keys[i] != null; i = (i + 1) & mask) n++;
        return n;
    }
}
