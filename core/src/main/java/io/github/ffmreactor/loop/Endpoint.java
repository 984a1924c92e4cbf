package io.github.ffmreactor.loop;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.SocketConsts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A socket address held in native memory ({@code struct sockaddr_storage}), reused from datagram to
 * datagram: receiving into it, comparing it and replying to it allocate nothing. Convert to an
 * {@link InetSocketAddress} only off the hot path (it allocates).
 */
public final class Endpoint {
    static final SocketConsts C = SocketConsts.CURRENT;

    private final MemorySegment sa;
    /** The socklen_t recvfrom fills in; also the valid length of {@link #sa}. */
    private final MemorySegment lenCell;
    private int length;

    private Endpoint(MemorySegment sa, MemorySegment lenCell) {
        this.sa = sa;
        this.lenCell = lenCell;
    }

    /** An empty endpoint whose memory belongs to {@code arena}. */
    public static Endpoint allocate(Arena arena) {
        return new Endpoint(arena.allocate(SockAddr.SIZEOF_STORAGE, 8), arena.allocate(JAVA_INT));
    }

    /** An endpoint holding {@code address}. */
    public static Endpoint of(Arena arena, InetSocketAddress address) {
        Endpoint e = allocate(arena);
        e.set(address);
        return e;
    }

    public void set(InetSocketAddress address) {
        length = Tcp.encode(address, sa);
    }

    /** Copies {@code other} into this one (to remember a sender past the callback). */
    public void copyFrom(Endpoint other) {
        MemorySegment.copy(other.sa, 0, sa, 0, other.length);
        length = other.length;
    }

    /** The sockaddr, for sendto/connect. */
    MemorySegment segment() {
        return sa;
    }

    /** Its valid length in bytes (0 when empty). */
    public int length() {
        return length;
    }

    /** Prepares the length cell for a recvfrom into {@link #segment()}. */
    MemorySegment lengthCellForReceive() {
        lenCell.set(JAVA_INT, 0, SockAddr.SIZEOF_STORAGE);
        return lenCell;
    }

    /** Takes a sockaddr of {@code len} bytes from {@code src} at {@code off} (a recvmmsg entry's). */
    void load(MemorySegment src, long off, int len) {
        MemorySegment.copy(src, off, sa, 0, len);
        length = len;
    }

    /** Takes the length recvfrom reported. */
    void received() {
        length = Math.min(lenCell.get(JAVA_INT, 0), SockAddr.SIZEOF_STORAGE);
    }

    public int port() {
        return SockAddr.port(sa);
    }

    /**
     * Whether both hold the same family, address and port (compared byte for byte over the fields
     * that identify the peer; the BSD sin_len byte and IPv6 flow info are ignored).
     */
    public boolean sameAs(Endpoint o) {
        if (length == 0 || o.length != length) return false;
        int family = SockAddr.family(C, sa);
        if (family != SockAddr.family(C, o.sa)) return false;
        if (SockAddr.port(sa) != SockAddr.port(o.sa)) return false;
        if (family == C.AF_INET()) return sa.get(JAVA_INT, 4) == o.sa.get(JAVA_INT, 4);
        return MemorySegment.mismatch(sa, 8, 24, o.sa, 8, 24) == -1
                && SockAddr.scopeId(sa) == SockAddr.scopeId(o.sa);
    }

    /** A hash of address and port, consistent with {@link #sameAs}. Allocates nothing. */
    public int hash() {
        int h = SockAddr.port(sa);
        if (SockAddr.family(C, sa) == C.AF_INET()) return 31 * h + sa.get(JAVA_INT, 4);
        for (int off = 8; off < 24; off += 4) h = 31 * h + sa.get(JAVA_INT, off);
        return h;
    }

    /** As an InetSocketAddress (allocates; for logs and tests). */
    public InetSocketAddress toInetSocketAddress() {
        if (length == 0) throw new IllegalStateException("empty endpoint");
        return Tcp.decode(sa);
    }

    @Override
    public String toString() {
        if (length == 0) return "(none)";
        InetSocketAddress a = toInetSocketAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
