package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.MemorySegment;

/**
 * A byte FIFO over {@link ChunkPool} chunks (the completion engine's queued output and held input):
 * bytes are appended at the last chunk and consumed from the first; a chunk goes back to the pool
 * as soon as it has been consumed, so an empty queue holds no native memory. Chunks never move,
 * so the kernel may read the first chunks (a SEND or SENDMSG in flight) while bytes are appended
 * after them. Loop thread only; nothing allocates once the id array has grown to the queue's length.
 */
final class ChunkQueue {
    private final ChunkPool pool;
    /** Chunk ids, a ring: ids[(first + i) & (ids.length - 1)] for i in [0, count). */
    private int[] ids = new int[4];
    private int first, count;
    /** Consumed bytes of the first chunk; bytes written in the last one. */
    private int headOff, tailLen;
    private long size;

    ChunkQueue(ChunkPool pool) {
        this.pool = pool;
    }

    long size() {
        return size;
    }

    /** Copies {@code src[off, off+len)} to the end. */
    void append(MemorySegment src, long off, long len) throws NativeException {
        while (len > 0) {
            if (count == 0 || tailLen == ChunkPool.CHUNK) addChunk();
            int n = (int) Math.min(len, ChunkPool.CHUNK - tailLen);
            MemorySegment.copy(src, off, pool.chunk(last()), tailLen, n);
            tailLen += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    private int last() {
        return ids[(first + count - 1) & (ids.length - 1)];
    }

    private void addChunk() throws NativeException {
        if (count == ids.length) {
            int[] n = new int[ids.length * 2];
            for (int i = 0; i < count; i++) n[i] = ids[(first + i) & (ids.length - 1)];
            ids = n;
            first = 0;
        }
        int id = pool.take();
        ids[(first + count) & (ids.length - 1)] = id;
        count++;
        tailLen = 0;
    }

    /** The first chunk, which holds the queue's next {@link #headLength()} bytes from {@link #headOffset()}. */
    MemorySegment head() {
        return pool.chunk(ids[first]);
    }

    long headOffset() {
        return headOff;
    }

    /** Bytes readable in one piece at the head (the rest of the first chunk). */
    int headLength() {
        return count == 0 ? 0 : length(0);
    }

    /** The {@code i}-th chunk (0: the first), whose unread bytes are {@link #length(int)} from {@link #offset(int)}. */
    MemorySegment chunk(int i) {
        return pool.chunk(ids[(first + i) & (ids.length - 1)]);
    }

    int offset(int i) {
        return i == 0 ? headOff : 0;
    }

    int length(int i) {
        return (i == count - 1 ? tailLen : ChunkPool.CHUNK) - offset(i);
    }

    /**
     * Drops {@code n} bytes from the head, across chunks (a SENDMSG of several completes with one
     * count); each used-up chunk goes back.
     */
    void consume(int n) {
        while (n > 0 && count > 0) {
            int m = Math.min(n, headLength());
            headOff += m;
            size -= m;
            n -= m;
            if (headOff == (count == 1 ? tailLen : ChunkPool.CHUNK)) {
                pool.give(ids[first]);
                first = (first + 1) & (ids.length - 1);
                count--;
                headOff = 0;
                if (count == 0) tailLen = 0;
            }
        }
    }

    /** Gives every chunk back (the caller knows nothing reads them any more) and empties the queue. */
    void clear() {
        for (int i = 0; i < count; i++) pool.give(ids[(first + i) & (ids.length - 1)]);
        first = count = headOff = tailLen = 0;
        size = 0;
    }

    /** Chunks held now. */
    int chunks() {
        return count;
    }
}
