package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Windows sockets (ws2_32.dll): WSAStartup, socket, ioctlsocket, bind, connect, getsockname,
 * getsockopt, send, recv, closesocket, select, and the Winsock {@code fd_set}.
 *
 * <p>Winsock's {@code fd_set} is not a bit array but a counted list of handles:
 * <pre>
 * typedef struct fd_set { u_int fd_count; SOCKET fd_array[FD_SETSIZE]; } fd_set;
 * </pre>
 * FD_SETSIZE defaults to 64 and may be raised by the program (Winsock reads {@code fd_count}
 * entries). On 64-bit Windows a SOCKET is a {@code UINT_PTR} (8 bytes), so {@code fd_array}
 * starts at offset 8 after 4 bytes of padding: 8 + 8 * FD_SETSIZE bytes, 520 for the default.
 * {@code struct timeval} is {@code { long tv_sec; long tv_usec; }} with Windows' 32-bit
 * {@code long}: 8 bytes. Errors come from WSAGetLastError, captured like errno
 * ({@link Native#CAPTURE_ERRNO}); {@code WSAStartup} returns its error instead.
 *
 * <p>Every handle is null on other OSes: libc also exports socket/select/send under the same
 * names, and these must never be linked against it.
 */
public final class Winsock {
    private Winsock() {}

    public static final int FD_SETSIZE_DEFAULT = 64;
    /** ioctlsocket command for non-blocking mode: _IOW('f', 126, u_long). */
    public static final int FIONBIO = 0x8004667E;
    public static final long INVALID_SOCKET = -1L;
    public static final int SOCKET_ERROR = -1;
    /** MAKEWORD(2, 2). */
    public static final short WINSOCK_2_2 = 0x0202;
    public static final int SO_TYPE = 0x1008;
    /** sizeof(WSADATA) on 64-bit Windows is 408; allocate with room to spare. */
    public static final long WSADATA_SIZE = 512;
    public static final long TIMEVAL_SIZE = 8;

    /** The Winsock {@code fd_set} for {@code setSize} SOCKETs (64-bit Windows). */
    public static StructLayout fdSetLayout(int setSize) {
        return MemoryLayout.structLayout(
                JAVA_INT.withName("fd_count"),
                MemoryLayout.paddingLayout(4),
                MemoryLayout.sequenceLayout(setSize, JAVA_LONG).withName("fd_array"));
    }

    public static final long FD_COUNT_OFFSET = 0, FD_ARRAY_OFFSET = 8;

    /** Writes {@code count} handles of {@code sockets} as a Winsock fd_set into {@code out}. */
    public static void encodeFdSet(MemorySegment out, long[] sockets, int count) {
        if (FD_ARRAY_OFFSET + 8L * count > out.byteSize()) {
            throw new IllegalArgumentException(count + " sockets do not fit an fd_set of " + out.byteSize() + " bytes");
        }
        out.set(JAVA_INT, FD_COUNT_OFFSET, count);
        out.set(JAVA_INT, 4, 0);
        MemorySegment.copy(sockets, 0, out, JAVA_LONG, FD_ARRAY_OFFSET, count);
    }

    public static int fdCount(MemorySegment set) {
        return set.get(JAVA_INT, FD_COUNT_OFFSET);
    }

    public static long fdAt(MemorySegment set, int i) {
        return set.get(JAVA_LONG, FD_ARRAY_OFFSET + 8L * i);
    }

    /** Writes a Winsock {@code struct timeval} (two 32-bit longs) of {@code millis}. */
    public static void timeval(MemorySegment tv, int millis) {
        tv.set(JAVA_INT, 0, millis / 1000);
        tv.set(JAVA_INT, 4, (millis % 1000) * 1000);
    }

    private static final boolean WINDOWS = Platform.CURRENT == Platform.WINDOWS;

    private static MethodHandle h(String name, FunctionDescriptor fd, boolean critical) {
        if (!WINDOWS) return null;
        return critical ? Native.downcallOrNull(name, fd, Native.CAPTURE_ERRNO, Native.CRITICAL)
                : Native.downcallOrNull(name, fd, Native.CAPTURE_ERRNO);
    }

    private static final MethodHandle WSASTARTUP = WINDOWS
            ? Native.downcallOrNull("WSAStartup", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS)) : null;
    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT), false);
    private static final MethodHandle IOCTLSOCKET = h("ioctlsocket",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS), true);
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT), true);
    private static final MethodHandle CONNECT = h("connect", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT), true);
    private static final MethodHandle GETSOCKNAME = h("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS), true);
    private static final MethodHandle GETSOCKOPT = h("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle SEND = h("send", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle RECV = h("recv", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle CLOSESOCKET = h("closesocket", FunctionDescriptor.of(JAVA_INT, JAVA_LONG), false);
    // select with a timeout blocks: never critical. nfds is ignored by Winsock.
    private static final MethodHandle SELECT = h("select",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS), false);

    public static boolean available() {
        return WSASTARTUP != null && SELECT != null;
    }

    private static int ret(MemorySegment cs, int r) {
        return r == SOCKET_ERROR ? -Native.errno(cs) : r;
    }

    /** WSAStartup(2.2): 0, or the (positive) Winsock error it returns. Reference-counted by Windows. */
    public static int startup(MemorySegment wsaData) {
        try { return (int) WSASTARTUP.invokeExact(WINSOCK_2_2, wsaData); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** socket(): the handle, or -WSAGetLastError() (a handle is never negative as a signed long). */
    public static long socket(MemorySegment cs, int af, int type, int protocol) {
        try {
            long s = (long) SOCKET.invokeExact(cs, af, type, protocol);
            return s == INVALID_SOCKET ? -Native.errno(cs) : s;
        } catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** ioctlsocket(s, FIONBIO, &1): makes {@code s} non-blocking. {@code arg} is a 4-byte scratch. */
    public static int setNonBlocking(MemorySegment cs, long s, MemorySegment arg) {
        arg.set(JAVA_INT, 0, 1);
        try { return ret(cs, (int) IOCTLSOCKET.invokeExact(cs, s, FIONBIO, arg)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int bind(MemorySegment cs, long s, MemorySegment addr, int len) {
        try { return ret(cs, (int) BIND.invokeExact(cs, s, addr, len)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int connect(MemorySegment cs, long s, MemorySegment addr, int len) {
        try { return ret(cs, (int) CONNECT.invokeExact(cs, s, addr, len)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int getsockname(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        try { return ret(cs, (int) GETSOCKNAME.invokeExact(cs, s, addr, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int getsockopt(MemorySegment cs, long s, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        try { return ret(cs, (int) GETSOCKOPT.invokeExact(cs, s, level, name, value, lenInOut)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int send(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        try { return ret(cs, (int) SEND.invokeExact(cs, s, buf, len, flags)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int recv(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        try { return ret(cs, (int) RECV.invokeExact(cs, s, buf, len, flags)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    public static int closesocket(MemorySegment cs, long s) {
        try { return ret(cs, (int) CLOSESOCKET.invokeExact(cs, s)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }

    /** select(0, r, w, e, timeout): ready count, 0 on timeout, or -WSAGetLastError(). */
    public static int select(MemorySegment cs, MemorySegment readfds, MemorySegment writefds,
                             MemorySegment exceptfds, MemorySegment timeout) {
        try { return ret(cs, (int) SELECT.invokeExact(cs, 0, readfds, writefds, exceptfds, timeout)); }
        catch (Throwable t) { throw Unistd.rethrow(t); }
    }
}
