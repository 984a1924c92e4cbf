package io.github.ffmreactor.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A value of {@link #SIZE} bytes or more, kept off the Java heap. A young collection copies every
 * live young array: a 16 MiB value just stored cost a 17-20 ms pause in the loop (the serial
 * collector, which the JVM picks on one CPU, as kv runs pinned), long past kv's 10 ms bound for
 * the other clients. Native memory is not copied by any collector.
 *
 * <p>A value sent as one long argument is born here: the parser reads the argument into this
 * memory as its pieces arrive ({@link RespParser}), and a command that stores it keeps it as it
 * is, so a 16 MiB {@code SET} copies nothing once its bytes are in.
 *
 * <p>Freed by counting: the parser holds one reference while it reads the argument and until its
 * command has run, the store one while the value is stored, and each reply that sends the value
 * one until the loop has handed the bytes to the kernel (this object is that reply's release
 * {@link Runnable}). The last to let go closes the arena, which frees the memory. A shared arena,
 * as any loop's thread may be the last; closing one costs a handshake with every thread (about
 * 50 us here), which is why shorter values stay arrays.
 */
final class BigValue implements Runnable {
    /** Values this long or longer live off the heap (allocating and freeing one costs about what a heap array of this size does). */
    static final int SIZE = 256 * 1024;

    private final Arena arena;
    /** The value; never changed once stored. */
    final MemorySegment bytes;
    /** The value and {@code room} bytes after it (a parser puts the argument's CRLF there). */
    final MemorySegment memory;
    private final AtomicInteger refs = new AtomicInteger(1);

    /** Memory for a value of {@code len} bytes and {@code room} more, held once, to be written (a long argument as it arrives). */
    static BigValue allocate(long len, long room) {
        Arena arena = Arena.ofShared();
        return new BigValue(arena, arena.allocate(len + room, 8), len);
    }

    private BigValue(Arena arena, MemorySegment memory, long len) {
        this.arena = arena;
        this.memory = memory;
        this.bytes = memory.asSlice(0, len);
    }

    /** A copy of {@code src[off, off+len)}, held once (by the store). */
    static BigValue copyOf(MemorySegment src, long off, long len) {
        BigValue v = allocate(len, 0);
        MemorySegment.copy(src, off, v.bytes, 0, len);
        return v;
    }

    /** The concatenation of {@code head} and {@code tail}, held once. */
    static BigValue concat(MemorySegment head, MemorySegment tail) {
        BigValue v = allocate(head.byteSize() + tail.byteSize(), 0);
        MemorySegment.copy(head, 0, v.bytes, 0, head.byteSize());
        MemorySegment.copy(tail, 0, v.bytes, head.byteSize(), tail.byteSize());
        return v;
    }

    int length() {
        return (int) bytes.byteSize();
    }

    /** One more holder (the store, or a reply about to send it); only while another holds it (the parser, or the store under its lock). */
    BigValue retain() {
        refs.incrementAndGet();
        return this;
    }

    /** Lets go of one reference; the last frees the memory. */
    @Override
    public void run() {
        if (refs.decrementAndGet() == 0) arena.close();
    }

    /** Whether the memory is freed (for tests). */
    boolean freed() {
        return !arena.scope().isAlive();
    }
}
