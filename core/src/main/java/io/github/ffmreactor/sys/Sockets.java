package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

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

    private static MethodHandle h(String name, FunctionDescriptor fd) {
        return POSIX ? Native.downcallOrNull(name, fd, Native.CAPTURE_ERRNO, Native.CRITICAL) : null;
    }

    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = h("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = h("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = h("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = C.hasAccept4()
            ? h("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)) : null;
    private static final MethodHandle ACCEPT = h("accept", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CONNECT = h("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = h("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = h("getpeername", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = h("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SENDTO = h("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = h("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));

    // Datagram I/O on the hot path: the buffer is passed as a 64-bit address computed from a
    // bounds-checked segment (as Unistd.read/write do), so sending from an offset needs no slice.
    private static final MethodHandle SENDTO_AT = h("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM_AT = h("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));

    private static int ret(MemorySegment cs, int r) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    private static long ret(MemorySegment cs, long r) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    public static int socket(MemorySegment cs, int domain, int type, int protocol) {
        try { return ret(cs, (int) SOCKET.invokeExact(cs, domain, type, protocol)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.SETSOCKOPT, fd);
            if (e != 0) return -e;
        }
        try { return ret(cs, (int) SETSOCKOPT.invokeExact(cs, fd, level, name, value, len)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** getsockopt; {@code lenInOut} is a socklen_t (4 bytes) holding the value's capacity. */
    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        try { return ret(cs, (int) GETSOCKOPT.invokeExact(cs, fd, level, name, value, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        try { return ret(cs, (int) BIND.invokeExact(cs, fd, addr, len)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int listen(MemorySegment cs, int fd, int backlog) {
        try { return ret(cs, (int) LISTEN.invokeExact(cs, fd, backlog)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** Whether accept4 (accept with SOCK_NONBLOCK|SOCK_CLOEXEC in one call) exists here. */
    public static boolean hasAccept4() {
        return ACCEPT4 != null;
    }

    /** accept4(fd, addr, addrlen, flags); {@code addr} and {@code lenInOut} may be NULL. */
    public static int accept4(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut, int flags) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.ACCEPT, fd);
            if (e != 0) return -e;
        }
        try { return ret(cs, (int) ACCEPT4.invokeExact(cs, fd, addr, lenInOut, flags)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int accept(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.ACCEPT, fd);
            if (e != 0) return -e;
        }
        try { return ret(cs, (int) ACCEPT.invokeExact(cs, fd, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.CONNECT, fd);
            if (e != 0) return -e;
        }
        try { return ret(cs, (int) CONNECT.invokeExact(cs, fd, addr, len)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        try { return ret(cs, (int) GETSOCKNAME.invokeExact(cs, fd, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        try { return ret(cs, (int) GETPEERNAME.invokeExact(cs, fd, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int shutdown(MemorySegment cs, int fd, int how) {
        try { return ret(cs, (int) SHUTDOWN.invokeExact(cs, fd, how)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        try { return ret(cs, (long) SENDTO.invokeExact(cs, fd, buf, len, flags, addr, addrLen)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, MemorySegment lenInOut) {
        try { return ret(cs, (long) RECVFROM.invokeExact(cs, fd, buf, len, flags, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** sendto from {@code buf[off, off+len)}: bytes sent or -errno. Allocates nothing. */
    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len, int flags,
                              MemorySegment addr, int addrLen) {
        long a = Unistd.address(buf, off, len);
        try { return ret(cs, (long) SENDTO_AT.invokeExact(cs, fd, a, len, flags, addr, addrLen)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /**
     * recvfrom into {@code buf[off, off+len)}; the sender's sockaddr goes to {@code addr}, whose
     * capacity the caller puts in {@code lenInOut} (a socklen_t) before each call. Bytes or -errno.
     */
    public static long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len, int flags,
                                MemorySegment addr, MemorySegment lenInOut) {
        long a = Unistd.address(buf, off, len);
        try { return ret(cs, (long) RECVFROM_AT.invokeExact(cs, fd, a, len, flags, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }
}
