package io.github.ffmreactor.sys;

import static io.github.ffmreactor.sys.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * A provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19): {@code count} buffers of {@code size}
 * bytes in buffer group {@code bgid}, from which multishot recvs pick. A CQE with
 * {@link IoUring#CQE_F_BUFFER} names the buffer it filled ({@code flags >>> 16}); that buffer
 * belongs to the application until {@link #recycle} gives it back. When every buffer is out, a
 * multishot recv ends with -ENOBUFS (no F_MORE) and must be armed again after recycling.
 *
 * <p>The ring itself (16 B per entry) is an anonymous mmap, page aligned as the kernel requires;
 * the buffers are one native segment. Both must outlive the last CQE that can name them: close
 * this only after the requests using the group have ended (or the ring was closed).
 * Confined to the ring's thread; adding and recycling allocate nothing.
 */
public final class UringBufRing implements AutoCloseable {
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();

    public final int bgid, count, size;
    private final Uring ring;
    private final MemorySegment entries, buffers;
    private final long entriesLen;
    private final int mask;
    private int tail;    // published tail
    private int added;   // entries written after tail, not yet published
    private boolean closed;

    private UringBufRing(Uring ring, int bgid, int count, int size, MemorySegment entries, long entriesLen,
            MemorySegment buffers) {
        this.ring = ring;
        this.bgid = bgid;
        this.count = count;
        this.size = size;
        this.entries = entries;
        this.entriesLen = entriesLen;
        this.buffers = buffers;
        this.mask = count - 1;
    }

    /**
     * Registers a ring of {@code count} (a power of two, at most 32768) buffers of {@code size} bytes
     * as group {@code bgid}, buffers allocated in {@code arena}, every buffer given to the kernel.
     */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    public static UringBufRing register(Uring ring, int bgid, int count, int size, Arena arena) throws NativeException {
        if (count < 1 || count > 32768 || Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("buffer ring entries must be a power of two in [1, 32768]: " + count);
        }
        if (bgid < 0 || bgid > 0xffff || size < 1) throw new IllegalArgumentException("bgid " + bgid + ", size " + size);
        MemorySegment cs = ring.callState();
        long len = (long) count * BUF_SIZE;
        long a = IoUring.mmap(cs, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a < 0) throw Errno.exception("mmap", (int) -a, "buffer ring of " + count + " entries");
        MemorySegment entries = MemorySegment.ofAddress(a).reinterpret(len);
        MemorySegment buffers = arena.allocate((long) count * size, 64);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment reg = tmp.allocate(BUF_REG);
            reg.set(JAVA_LONG, off(BUF_REG, "ring_addr"), a);
            reg.set(JAVA_INT, off(BUF_REG, "ring_entries"), count);
            reg.set(JAVA_SHORT, off(BUF_REG, "bgid"), (short) bgid);
            int r = IoUring.register(cs, ring.fd, REGISTER_PBUF_RING, reg.address(), 1);
            if (r < 0) {
                IoUring.munmap(cs, a, len);
                throw Errno.exception("io_uring_register", -r, "IORING_REGISTER_PBUF_RING group " + bgid
                        + (r == -Errno.EINVAL ? ": a kernel before 5.19, or the group is in use" : ""));
            }
        }
        UringBufRing b = new UringBufRing(ring, bgid, count, size, entries, len, buffers);
        for (int bid = 0; bid < count; bid++) b.add(bid);
        b.advance();
        return b;
    }

    /** Writes buffer {@code bid} into the next free entry; the kernel sees it after {@link #advance}. */
    public void add(int bid) {
        long o = ((tail + added) & mask) * BUF_SIZE;
        added++;
        // addr, len, bid only: entry 0's resv field is the ring's tail.
        entries.set(JAVA_LONG, o, buffers.address() + (long) bid * size);
        entries.set(JAVA_INT, o + 8, size);
        entries.set(JAVA_SHORT, o + 12, (short) bid);
    }

    /** Publishes the added entries: a store-release of the 16-bit tail. */
    public void advance() {
        tail += added;
        added = 0;
        SHORT.setRelease(entries, BUF_RING_TAIL, (short) tail);
    }

    /** Gives buffer {@code bid} back to the kernel at once. */
    public void recycle(int bid) {
        add(bid);
        advance();
    }

    /** All buffers; buffer {@code bid} is {@code [offset(bid), offset(bid) + size)}. */
    public MemorySegment buffers() {
        return buffers;
    }

    public long offset(int bid) {
        return (long) bid * size;
    }

    /** The buffer id of a CQE's flags (valid when CQE_F_BUFFER is set). */
    public static int bufferId(int cqeFlags) {
        return cqeFlags >>> CQE_BUFFER_SHIFT;
    }

    /** Unregisters the group and unmaps the ring (the buffers belong to the caller's arena). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        MemorySegment cs = Native.threadCallState();
        if (!ring.isClosed()) { // a closed ring released the group with itself
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment reg = tmp.allocate(BUF_REG);
                reg.set(JAVA_SHORT, off(BUF_REG, "bgid"), (short) bgid);
                IoUring.register(cs, ring.fd, UNREGISTER_PBUF_RING, reg.address(), 1);
            }
        }
        IoUring.munmap(cs, entries.address(), entriesLen);
    }
}
