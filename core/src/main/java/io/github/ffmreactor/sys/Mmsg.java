package io.github.ffmreactor.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Linux batched datagram I/O: {@code recvmmsg(2)} and {@code sendmmsg(2)}, the structs they take
 * ({@code struct mmsghdr}, {@code struct msghdr}, {@code struct iovec}, {@code struct cmsghdr}) as
 * laid out on 64-bit Linux (x86_64, aarch64), and the constants that go with them
 * ({@code MSG_TRUNC}, {@code SO_RXQ_OVFL}, {@code SO_RCVBUFFORCE}). Each call returns its C result
 * or {@code -errno}. Sockets are non-blocking, so both are linked critical. See
 * native-notes/udp.md.
 */
public final class Mmsg {
    private Mmsg() {}

    /** {@code struct iovec}: base pointer, length. 16 bytes. */
    public static final StructLayout IOVEC = Unistd.IOVEC;

    /** {@code struct msghdr}: 56 bytes on 64-bit Linux (socklen_t and int each followed by 4 bytes of padding). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"),
            JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4));

    /** {@code struct mmsghdr}: a msghdr and the byte count the kernel stores per datagram. 64 bytes. */
    public static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            MSGHDR.withName("msg_hdr"), JAVA_INT.withName("msg_len"), MemoryLayout.paddingLayout(4));

    /** {@code struct cmsghdr}: length (size_t), level, type; the data follows at 16. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"));

    public static final long IOV_BASE = Unistd.IOV_BASE;
    public static final long IOV_LEN = Unistd.IOV_LEN;
    public static final long MSG_NAME = MSGHDR.byteOffset(groupElement("msg_name"));
    public static final long MSG_NAMELEN = MSGHDR.byteOffset(groupElement("msg_namelen"));
    public static final long MSG_IOV = MSGHDR.byteOffset(groupElement("msg_iov"));
    public static final long MSG_IOVLEN = MSGHDR.byteOffset(groupElement("msg_iovlen"));
    public static final long MSG_CONTROL = MSGHDR.byteOffset(groupElement("msg_control"));
    public static final long MSG_CONTROLLEN = MSGHDR.byteOffset(groupElement("msg_controllen"));
    public static final long MSG_FLAGS = MSGHDR.byteOffset(groupElement("msg_flags"));
    /** Offset of msg_len in a mmsghdr (56). */
    public static final long MSG_LEN = MMSGHDR.byteOffset(groupElement("msg_len"));
    public static final long CMSG_LEN = CMSGHDR.byteOffset(groupElement("cmsg_len"));
    public static final long CMSG_LEVEL = CMSGHDR.byteOffset(groupElement("cmsg_level"));
    public static final long CMSG_TYPE = CMSGHDR.byteOffset(groupElement("cmsg_type"));
    /** CMSG_DATA offset: the header rounded up to size_t alignment (16). */
    public static final long CMSG_DATA = align(CMSGHDR.byteSize());

    /** CMSG_SPACE(n): the header and n bytes of data, each rounded up to 8. */
    public static long cmsgSpace(long n) {
        return align(CMSGHDR.byteSize()) + align(n);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    /**
     * {@code MSG_TRUNC} (0x20): in msg_flags, "the datagram was longer than the buffer"; passed in
     * the flags of a UDP receive, the call returns the datagram's real length instead of the bytes
     * copied.
     */
    public static final int MSG_TRUNC = 0x20;
    /** {@code SO_RXQ_OVFL} (40): ask for the socket's cumulative drop count as a cmsg on each datagram. */
    public static final int SO_RXQ_OVFL = 40;
    /** {@code SO_RCVBUFFORCE} (33): SO_RCVBUF past rmem_max, for CAP_NET_ADMIN only. */
    public static final int SO_RCVBUFFORCE = 33;

    // Only 64-bit Linux: the layouts above are its ABI. Elsewhere the handles are null and the
    // callers use recvfrom/sendto.
    private static final boolean SUPPORTED = Platform.CURRENT == Platform.LINUX && ADDRESS.byteSize() == 8;


    // The vector is passed as a 64-bit address computed from a bounds-checked segment (as
    // Unistd.read/write do), so sending from the middle of a batch needs no slice.
    private static final Fn.IntCIJIIA RECVMMSG = Bind.fn("recvmmsg", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS)
            .errno().critical().optional().linkIf(SUPPORTED, Fn.IntCIJIIA.class);
    private static final Fn.IntCIJII SENDMMSG = Bind.fn("sendmmsg", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .errno().critical().optional().linkIf(SUPPORTED, Fn.IntCIJII.class);

    // sendmmsg without errno capture, called first; a call that returns -1 is made again with
    // capture (see Sockets.sendto: the capture segment's slice is 40 B per call wherever C2 does not
    // inline the JDK's adapter). sendmmsg returns -1 only when its first datagram failed, so nothing
    // was sent. recvmmsg keeps its capture, as recvfrom does: the receive loop runs until EAGAIN, so
    // every turn ends in a failed call, and its retry, a branch C2 saw rarely, was not inlined and
    // allocated (ZeroAllocationTest's mmsg case went from under 1 KB to 4-50 KB per window).
    private static final Fn.IntIJII SENDMMSG_PLAIN = Bind.fn("sendmmsg", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .critical().optional().linkIf(SUPPORTED, Fn.IntIJII.class);

    /** Whether recvmmsg and sendmmsg are there (64-bit Linux). */
    public static boolean available() {
        return RECVMMSG != null && SENDMMSG != null && SENDMMSG_PLAIN != null;
    }

    /**
     * recvmmsg(fd, vec, vlen, flags, NULL): the number of datagrams received into the first
     * entries of {@code vec} (an array of at least {@code vlen} mmsghdrs), or -errno (-EAGAIN when
     * none is queued).
     */
    public static int recvmmsg(MemorySegment cs, int fd, MemorySegment vec, int vlen, int flags) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.RECVMMSG, fd);
            if (e != 0) return -e;
        }
        long a = Unistd.address(vec, 0, vlen * MMSGHDR.byteSize());
        return Bind.ret(cs, RECVMMSG.call(cs, fd, a, vlen, flags, MemorySegment.NULL));
    }

    /**
     * sendmmsg(fd, &vec[first], vlen, flags): the number of datagrams sent from entries
     * {@code first, first+1...} of {@code vec} (fewer than {@code vlen} when one failed: it is the
     * next one), or -errno when the first one failed.
     */
    public static int sendmmsg(MemorySegment cs, int fd, MemorySegment vec, int first, int vlen, int flags) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.SENDMMSG, fd);
            if (e != 0) return -e;
        }
        long a = Unistd.address(vec, first * MMSGHDR.byteSize(), vlen * MMSGHDR.byteSize());
        int r = SENDMMSG_PLAIN.call(fd, a, vlen, flags);
        return r >= 0 ? r : Bind.ret(cs, SENDMMSG.call(cs, fd, a, vlen, flags));
    }
}
