package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * BSD sockets on POSIX: socket, setsockopt, getsockopt, bind, listen, accept4/accept, connect,
 * getsockname, getpeername, shutdown, send, recv, sendto, recvfrom. Each returns its C result or
 * {@code -errno}. Sockets are non-blocking, so every call here returns at once and is linked
 * critical. Windows sockets (ws2_32) are bound separately.
 */
public final class Sockets {
    private Sockets() {}

    private static final boolean POSIX = Platform.CURRENT != Platform.WINDOWS;
    private static final SocketConsts C = SocketConsts.CURRENT;

    /** A POSIX socket call: errno decoded, critical (sockets are non-blocking), null where absent. */
    private static Bind b(String name, MemoryLayout ret, MemoryLayout... args) {
        return Bind.fn(name, ret, args).errno().critical().optional();
    }

    private static final Fn.IntCIII SOCKET = b("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT).linkIf(POSIX, Fn.IntCIII.class);
    private static final Fn.IntCIIIAI SETSOCKOPT = b("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT)
            .fault(Faults.Call.SETSOCKOPT, 0).linkIf(POSIX, Fn.IntCIIIAI.class);
    private static final Fn.IntCIIIAA GETSOCKOPT = b("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS).linkIf(POSIX, Fn.IntCIIIAA.class);
    private static final Fn.IntCIAI BIND = b("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT).linkIf(POSIX, Fn.IntCIAI.class);
    private static final Fn.IntCII LISTEN = b("listen", JAVA_INT, JAVA_INT, JAVA_INT).fault(Faults.Call.LISTEN, 0)
            .linkIf(POSIX, Fn.IntCII.class);
    private static final Fn.IntCIAAI ACCEPT4 = b("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)
            .fault(Faults.Call.ACCEPT, 0).linkIf(POSIX && C.hasAccept4(), Fn.IntCIAAI.class);
    private static final Fn.IntCIAA ACCEPT = b("accept", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS).fault(Faults.Call.ACCEPT, 0).linkIf(POSIX, Fn.IntCIAA.class);
    private static final Fn.IntCIAI CONNECT = b("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT).fault(Faults.Call.CONNECT, 0).linkIf(POSIX, Fn.IntCIAI.class);
    private static final Fn.IntCIAA GETSOCKNAME = b("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS).linkIf(POSIX, Fn.IntCIAA.class);
    private static final Fn.IntCIAA GETPEERNAME = b("getpeername", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS).linkIf(POSIX, Fn.IntCIAA.class);
    private static final Fn.IntCII SHUTDOWN = b("shutdown", JAVA_INT, JAVA_INT, JAVA_INT).linkIf(POSIX, Fn.IntCII.class);
    private static final Fn.LongCIAJIAI SENDTO = b("sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT).linkIf(POSIX, Fn.LongCIAJIAI.class);
    private static final Fn.LongCIAJIAA RECVFROM = b("recvfrom", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS).linkIf(POSIX, Fn.LongCIAJIAA.class);

    // Datagram I/O on the hot path: the buffer is passed as a 64-bit address computed from a
    // bounds-checked segment (as Unistd.read/write do), so sending from an offset needs no slice.
    private static final Fn.LongCIJJIAI SENDTO_AT = b("sendto", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT).linkIf(POSIX, Fn.LongCIJJIAI.class);
    private static final Fn.LongCIJJIAA RECVFROM_AT = b("recvfrom", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS).linkIf(POSIX, Fn.LongCIJJIAA.class);

    // sendto without errno capture, called first (as Unistd.write is): a capturing downcall slices
    // its capture segment (40 B) wherever C2 does not inline the JDK's whole adapter into the loop.
    // A send that returns -1 is made once more with capture, and that answer stands: EAGAIN,
    // EMSGSIZE and EBADF are still there the second time; an ICMP error (ECONNREFUSED, connected
    // sockets) is consumed by the first call, so the second sends. recvfrom keeps its capture:
    // Datagram reads until EAGAIN, so every turn ends in a failed recvfrom, and a retry there is a
    // colder call site that C2 compiled without the adapter inlined: 40 B per turn (ZeroAllocationTest
    // failed so, 9464 B per window, where the hot capturing call is scalar-replaced).
    private static final Fn.LongIJJIAI SENDTO_AT_PLAIN = Bind.fn("sendto", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT)
            .critical().optional().linkIf(POSIX, Fn.LongIJJIAI.class);

    public static int socket(MemorySegment cs, int domain, int type, int protocol) {
        return Bind.ret(cs, SOCKET.call(cs, domain, type, protocol));
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        return Bind.ret(cs, SETSOCKOPT.call(cs, fd, level, name, value, len));
    }

    /** getsockopt; {@code lenInOut} is a socklen_t (4 bytes) holding the value's capacity. */
    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        return Bind.ret(cs, GETSOCKOPT.call(cs, fd, level, name, value, lenInOut));
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        return Bind.ret(cs, BIND.call(cs, fd, addr, len));
    }

    public static int listen(MemorySegment cs, int fd, int backlog) {
        return Bind.ret(cs, LISTEN.call(cs, fd, backlog));
    }

    /** Whether accept4 (accept with SOCK_NONBLOCK|SOCK_CLOEXEC in one call) exists here. */
    public static boolean hasAccept4() {
        return ACCEPT4 != null;
    }

    /** accept4(fd, addr, addrlen, flags); {@code addr} and {@code lenInOut} may be NULL. */
    public static int accept4(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut, int flags) {
        return Bind.ret(cs, ACCEPT4.call(cs, fd, addr, lenInOut, flags));
    }

    public static int accept(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, ACCEPT.call(cs, fd, addr, lenInOut));
    }

    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        return Bind.ret(cs, CONNECT.call(cs, fd, addr, len));
    }

    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, GETSOCKNAME.call(cs, fd, addr, lenInOut));
    }

    public static int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, GETPEERNAME.call(cs, fd, addr, lenInOut));
    }

    public static int shutdown(MemorySegment cs, int fd, int how) {
        return Bind.ret(cs, SHUTDOWN.call(cs, fd, how));
    }

    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        return Bind.ret(cs, SENDTO.call(cs, fd, buf, len, flags, addr, addrLen));
    }

    public static long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, RECVFROM.call(cs, fd, buf, len, flags, addr, lenInOut));
    }

    /** sendto from {@code buf[off, off+len)}: bytes sent or -errno. Allocates nothing. */
    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len, int flags,
                              MemorySegment addr, int addrLen) {
        long a = Unistd.address(buf, off, len);
        long r = SENDTO_AT_PLAIN.call(fd, a, len, flags, addr, addrLen);
        return r >= 0 ? r : Bind.ret(cs, SENDTO_AT.call(cs, fd, a, len, flags, addr, addrLen));
    }

    /**
     * recvfrom into {@code buf[off, off+len)}; the sender's sockaddr goes to {@code addr}, whose
     * capacity the caller puts in {@code lenInOut} (a socklen_t) before each call. Bytes or -errno.
     */
    public static long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len, int flags,
                                MemorySegment addr, MemorySegment lenInOut) {
        long a = Unistd.address(buf, off, len);
        return Bind.ret(cs, RECVFROM_AT.call(cs, fd, a, len, flags, addr, lenInOut));
    }
}
