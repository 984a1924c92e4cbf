package io.github.ffmreactor.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.ffmreactor.sys.Mmsg;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.SocketConsts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An array of {@code struct mmsghdr} with everything each entry points to, allocated once per
 * socket: one iovec, one sockaddr_storage and (for receiving) one control buffer per entry, and
 * the datagram bytes. Filling it, calling recvmmsg/sendmmsg on it and reading it back allocate
 * nothing. Linux only ({@link Mmsg#available()}).
 *
 * <p>For receiving, entry {@code i} owns its own buffer of {@link #slotSize()} bytes. For sending,
 * the datagrams queued are packed one after the other into one data area, each entry's iovec
 * pointing at its own bytes.
 */
public final class DatagramBatch {
    private static final long HDR = Mmsg.MMSGHDR.byteSize();
    private static final long IOV = Mmsg.IOVEC.byteSize();
    private static final long NAME = SockAddr.SIZEOF_STORAGE;
    /** Room for the one control message asked for: SO_RXQ_OVFL's 32-bit count (CMSG_SPACE(4) = 24). */
    private static final long CONTROL = 32;
    private static final int SOL_SOCKET = SocketConsts.CURRENT.SOL_SOCKET();

    private final int capacity;
    private final MemorySegment vec, iov, names, control, data;
    private final long slotSize;
    private final MemorySegment[] slots;
    /** Receiving: entries the last call filled (their in/out fields need resetting). Sending: entries queued. */
    private int count;
    /** Sending: bytes of the data area in use. */
    private long used;

    private DatagramBatch(Arena arena, int capacity, boolean receiving, long slotSize, long dataSize) {
        if (!Mmsg.available()) throw new UnsupportedOperationException("recvmmsg/sendmmsg: Linux (64-bit) only");
        if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
        this.capacity = capacity;
        this.slotSize = slotSize;
        vec = arena.allocate(HDR * capacity, 8);
        iov = arena.allocate(IOV * capacity, 8);
        names = arena.allocate(NAME * capacity, 8);
        control = receiving ? arena.allocate(CONTROL * capacity, 8) : MemorySegment.NULL;
        data = arena.allocate(dataSize, 64);
        slots = receiving ? new MemorySegment[capacity] : null;
        for (int i = 0; i < capacity; i++) {
            long h = i * HDR;
            vec.set(ADDRESS, h + Mmsg.MSG_NAME, names.asSlice(i * NAME, NAME));
            vec.set(ADDRESS, h + Mmsg.MSG_IOV, iov.asSlice(i * IOV, IOV));
            vec.set(JAVA_LONG, h + Mmsg.MSG_IOVLEN, 1);
            if (receiving) {
                slots[i] = data.asSlice(i * slotSize, slotSize);
                iov.set(ADDRESS, i * IOV + Mmsg.IOV_BASE, slots[i]);
                iov.set(JAVA_LONG, i * IOV + Mmsg.IOV_LEN, slotSize);
                vec.set(ADDRESS, h + Mmsg.MSG_CONTROL, control.asSlice(i * CONTROL, CONTROL));
                reset(i);
            } else {
                vec.set(ADDRESS, h + Mmsg.MSG_CONTROL, MemorySegment.NULL);
                vec.set(JAVA_LONG, h + Mmsg.MSG_CONTROLLEN, 0);
            }
        }
    }

    /** {@code capacity} entries of {@code slotSize} bytes each, for recvmmsg. */
    public static DatagramBatch forReceiving(Arena arena, int capacity, int slotSize) {
        if (slotSize < 1) throw new IllegalArgumentException("slotSize < 1: " + slotSize);
        return new DatagramBatch(arena, capacity, true, slotSize, (long) slotSize * capacity);
    }

    /** {@code capacity} entries sharing {@code dataSize} bytes, for sendmmsg. */
    public static DatagramBatch forSending(Arena arena, int capacity, int dataSize) {
        if (dataSize < 1) throw new IllegalArgumentException("dataSize < 1: " + dataSize);
        return new DatagramBatch(arena, capacity, false, 0, dataSize);
    }

    public int capacity() {
        return capacity;
    }

    public long slotSize() {
        return slotSize;
    }

    // ---- receiving ---------------------------------------------------------------------------

    private void reset(int i) {
        long h = i * HDR;
        vec.set(JAVA_INT, h + Mmsg.MSG_NAMELEN, (int) NAME);
        vec.set(JAVA_LONG, h + Mmsg.MSG_CONTROLLEN, CONTROL);
    }

    /**
     * recvmmsg into up to {@link #capacity()} entries: how many datagrams arrived, or -errno. Called
     * with MSG_TRUNC, so each entry's {@link #length} is the datagram's real length, even when
     * only {@link #slotSize()} bytes of it were kept.
     */
    public int receive(MemorySegment cs, int fd) {
        // The kernel rewrote the name and control lengths of the entries it filled last time.
        for (int i = 0; i < count; i++) reset(i);
        int r = Mmsg.recvmmsg(cs, fd, vec, capacity, Mmsg.MSG_TRUNC);
        count = Math.max(r, 0);
        return r;
    }

    /** Entry {@code i}'s datagram length as sent (may exceed the slot: see {@link #truncated}). */
    public int length(int i) {
        return vec.get(JAVA_INT, i * HDR + Mmsg.MSG_LEN);
    }

    /** Whether entry {@code i}'s datagram was longer than its slot (MSG_TRUNC in msg_flags). */
    public boolean truncated(int i) {
        return (vec.get(JAVA_INT, i * HDR + Mmsg.MSG_FLAGS) & Mmsg.MSG_TRUNC) != 0;
    }

    /** Entry {@code i}'s buffer (the same segment every time). */
    public MemorySegment buffer(int i) {
        return slots[i];
    }

    /** The sockaddrs: entry {@code i}'s sender is at {@code i * 128}, {@link #nameLength} bytes long. */
    public MemorySegment names() {
        return names;
    }

    public static long nameOffset(int i) {
        return i * NAME;
    }

    public int nameLength(int i) {
        return Math.min(vec.get(JAVA_INT, i * HDR + Mmsg.MSG_NAMELEN), (int) NAME);
    }

    /**
     * The socket's cumulative drop count carried by entry {@code i} (SO_RXQ_OVFL), or -1 when it
     * carries none (the kernel adds it only once the count is not zero).
     */
    public long drops(int i) {
        long h = i * HDR;
        long len = Math.min(vec.get(JAVA_LONG, h + Mmsg.MSG_CONTROLLEN), CONTROL);
        long base = i * CONTROL;
        long off = 0;
        while (off + Mmsg.CMSG_DATA <= len) {
            long clen = control.get(JAVA_LONG, base + off + Mmsg.CMSG_LEN);
            if (clen < Mmsg.CMSG_DATA || off + clen > len) break;
            if (control.get(JAVA_INT, base + off + Mmsg.CMSG_LEVEL) == SOL_SOCKET
                    && control.get(JAVA_INT, base + off + Mmsg.CMSG_TYPE) == Mmsg.SO_RXQ_OVFL
                    && clen >= Mmsg.CMSG_DATA + 4) {
                return Integer.toUnsignedLong(control.get(JAVA_INT, base + off + Mmsg.CMSG_DATA));
            }
            off += (clen + 7) & ~7L;
        }
        return -1;
    }

    // ---- sending ------------------------------------------------------------------------------

    /** Datagrams queued. */
    public int queued() {
        return count;
    }

    /** Whether {@code len} more bytes fit (an entry and room in the data area). */
    public boolean fits(long len) {
        return count < capacity && used + len <= data.byteSize();
    }

    /** The largest datagram that can ever be queued. */
    public long dataSize() {
        return data.byteSize();
    }

    /**
     * Queues a copy of {@code buf[off, off+len)} for {@code addr} (an {@code addrLen}-byte
     * sockaddr). The caller checked {@link #fits}.
     */
    public void add(MemorySegment buf, long off, long len, MemorySegment addr, int addrLen) {
        int i = count++;
        MemorySegment.copy(buf, off, data, used, len);
        MemorySegment.copy(addr, 0, names, i * NAME, addrLen);
        vec.set(JAVA_INT, i * HDR + Mmsg.MSG_NAMELEN, addrLen);
        iov.set(JAVA_LONG, i * IOV + Mmsg.IOV_BASE, data.address() + used);
        iov.set(JAVA_LONG, i * IOV + Mmsg.IOV_LEN, len);
        used += len;
    }

    /** Bytes of queued entry {@code i}. */
    public long queuedLength(int i) {
        return iov.get(JAVA_LONG, i * IOV + Mmsg.IOV_LEN);
    }

    /**
     * sendmmsg of entries {@code [first, queued())}: how many went, or -errno when entry
     * {@code first} failed.
     */
    public int send(MemorySegment cs, int fd, int first) {
        return Mmsg.sendmmsg(cs, fd, vec, first, count - first, 0);
    }

    /** Empties the send queue. */
    public void clear() {
        count = 0;
        used = 0;
    }

    static {
        // The layouts are 64-bit Linux's; a mismatch would corrupt the kernel's view of every entry.
        if (Mmsg.available() && (HDR != 64 || IOV != 16 || Mmsg.MSG_LEN != 56)) {
            throw new ExceptionInInitializerError("unexpected mmsghdr layout: " + HDR + "/" + IOV + "/" + Mmsg.MSG_LEN);
        }
    }
}
