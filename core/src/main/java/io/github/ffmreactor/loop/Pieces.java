package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The order of a connection's queued output: a FIFO of pieces, each either copied bytes (kept in
 * order in the stream's own byte store: the readiness {@code out} buffer, the ring's chunks) or a
 * segment written by reference ({@link Connection#writeReference}), held until its last byte is
 * gone and then released. Adjacent copies merge into one piece, so a queue of copies only is one
 * piece. Parallel arrays, a ring that doubles when full and never shrinks: nothing is allocated
 * per message once it has grown. Loop thread only.
 */
final class Pieces {
    /** Per piece: the referenced segment, or null for copied bytes. */
    private MemorySegment[] seg = new MemorySegment[4];
    private long[] off = new long[4];
    private long[] len = new long[4];
    private Runnable[] release = new Runnable[4];
    private int first, count;
    /** Releases of references used up, to run once the caller's state is whole ({@link #runReleased}). */
    private Runnable[] done = new Runnable[4];
    private int doneCount;

    boolean isEmpty() {
        return count == 0;
    }

    int count() {
        return count;
    }

    private int at(int i) {
        return (first + i) & (seg.length - 1);
    }

    /** The {@code i}-th piece from the head: its segment (null: copied bytes), offset and length. */
    MemorySegment segment(int i) {
        return seg[at(i)];
    }

    long offset(int i) {
        return off[at(i)];
    }

    long length(int i) {
        return len[at(i)];
    }

    /** {@code n} more copied bytes at the end of the byte store. */
    void addCopy(long n) {
        if (count > 0 && seg[at(count - 1)] == null) {
            len[at(count - 1)] += n;
            return;
        }
        add(null, 0, n, null);
    }

    /** {@code s[o, o+n)} by reference; {@code r} (may be null) runs once it is gone or dropped. */
    void addReference(MemorySegment s, long o, long n, Runnable r) {
        add(s, o, n, r);
    }

    private void add(MemorySegment s, long o, long n, Runnable r) {
        if (count == seg.length) grow();
        int k = at(count++);
        seg[k] = s;
        off[k] = o;
        len[k] = n;
        release[k] = r;
    }

    private void grow() {
        int cap = seg.length * 2;
        MemorySegment[] s = new MemorySegment[cap];
        long[] o = new long[cap], n = new long[cap];
        Runnable[] r = new Runnable[cap];
        for (int i = 0; i < count; i++) {
            int k = at(i);
            s[i] = seg[k];
            o[i] = off[k];
            n[i] = len[k];
            r[i] = release[k];
        }
        seg = s;
        off = o;
        len = n;
        release = r;
        first = 0;
    }

    /**
     * Drops {@code n} bytes (at most the head piece's length) from the head. A reference that is
     * used up leaves the queue; its release waits for {@link #runReleased}, which the caller
     * makes once its own state is whole again (a release may write to the connection, or close it).
     */
    void consume(long n) {
        int k = first;
        len[k] -= n;
        off[k] += n;
        if (len[k] == 0) drop();
    }

    private void drop() {
        int k = first;
        Runnable r = release[k];
        seg[k] = null;
        release[k] = null;
        off[k] = len[k] = 0;
        first = (first + 1) & (seg.length - 1);
        count--;
        if (count == 0) first = 0;
        if (r != null) {
            if (doneCount == done.length) done = Arrays.copyOf(done, doneCount * 2);
            done[doneCount++] = r;
        }
    }

    /** Runs the releases of the references used up so far, in order, each once. */
    void runReleased(Connection c) {
        for (int i = 0; i < doneCount; i++) {
            Runnable r = done[i];
            done[i] = null;
            run(r, c);
        }
        doneCount = 0;
    }

    /** The connection closed: every piece leaves, and each reference's release runs once, in order. */
    void releaseAll(Connection c) {
        while (count > 0) drop();
        runReleased(c);
    }

    /** Runs a release on the loop thread; one that throws is reported, and the connection goes on. */
    static void run(Runnable r, Connection c) {
        try {
            r.run();
        } catch (Throwable t) {
            c.loop.failures.report(c, t);
        }
    }
}
