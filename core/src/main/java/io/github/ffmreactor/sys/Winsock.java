package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Windows sockets (ws2_32.dll): WSAStartup, WSASocketW, ioctlsocket, bind, listen, accept, connect,
 * getsockname, getpeername, getsockopt, setsockopt, shutdown, send, recv, sendto, recvfrom,
 * closesocket, select, the Winsock {@code fd_set}; and kernel32's SetHandleInformation.
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
        // Element by element: copying from the array would wrap it in a heap segment on every poll.
        for (int i = 0; i < count; i++) out.set(JAVA_LONG, FD_ARRAY_OFFSET + 8L * i, sockets[i]);
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

    /** WSASocketW flags: overlapped (what socket() sets too) and not inherited by child processes. */
    public static final int WSA_FLAG_OVERLAPPED = 0x01, WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
    /** SetHandleInformation mask/flag: HANDLE_FLAG_INHERIT. */
    public static final int HANDLE_FLAG_INHERIT = 0x1;

    /**
     * One Windows binding: the symbol, its C signature as a FunctionDescriptor for 64-bit Windows
     * (SOCKET = UINT_PTR = JAVA_LONG; int, long, u_long, DWORD, GROUP, BOOL = JAVA_INT; WORD =
     * JAVA_SHORT), whether it captures WSAGetLastError and whether it is linked critical. Kept as
     * data so that WinsockBindingsTest checks every signature on any host without linking ws2_32.
     * Symbols ending in {@code @addr} are the C function with its buffer pointer passed as a 64-bit
     * integer (the same register class as a pointer in the Windows x64 ABI), as Unistd does for
     * read/write, so that I/O at an offset needs no slice.
     */
    record Binding(String symbol, FunctionDescriptor descriptor, boolean capture, boolean critical) {
        /** The exported C name ({@code send} for {@code send@addr}). */
        String cName() {
            int at = symbol.indexOf('@');
            return at < 0 ? symbol : symbol.substring(0, at);
        }

        Linker.Option[] options() {
            if (!capture) return critical ? new Linker.Option[] {Native.CRITICAL} : new Linker.Option[0];
            return critical ? new Linker.Option[] {Native.CAPTURE_ERRNO, Native.CRITICAL}
                    : new Linker.Option[] {Native.CAPTURE_ERRNO};
        }
    }

    private static Binding b(String symbol, boolean capture, boolean critical, MemoryLayout ret, MemoryLayout... args) {
        return new Binding(symbol, FunctionDescriptor.of(ret, args), capture, critical);
    }

    // Sockets here are non-blocking: every call but WSASocketW, closesocket (which may linger) and
    // select (which waits) returns at once and is linked critical, as on POSIX.
    static final Binding
            B_WSASTARTUP = b("WSAStartup", false, false, JAVA_INT, JAVA_SHORT, ADDRESS),
            B_WSASOCKETW = b("WSASocketW", true, false, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            B_IOCTLSOCKET = b("ioctlsocket", true, true, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS),
            B_BIND = b("bind", true, true, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT),
            B_LISTEN = b("listen", true, true, JAVA_INT, JAVA_LONG, JAVA_INT),
            B_ACCEPT = b("accept", true, true, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            B_CONNECT = b("connect", true, true, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT),
            B_GETSOCKNAME = b("getsockname", true, true, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            B_GETPEERNAME = b("getpeername", true, true, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
            B_GETSOCKOPT = b("getsockopt", true, true, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            B_SETSOCKOPT = b("setsockopt", true, true, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
            B_SHUTDOWN = b("shutdown", true, true, JAVA_INT, JAVA_LONG, JAVA_INT),
            B_SEND = b("send", true, true, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT),
            B_RECV = b("recv", true, true, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT),
            B_SEND_AT = b("send@addr", true, true, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT),
            B_RECV_AT = b("recv@addr", true, true, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT),
            B_SENDTO_AT = b("sendto@addr", true, true, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
            B_RECVFROM_AT = b("recvfrom@addr", true, true, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            B_CLOSESOCKET = b("closesocket", true, false, JAVA_INT, JAVA_LONG),
            // select with a timeout blocks: never critical. nfds is ignored by Winsock.
            B_SELECT = b("select", true, false, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
            // kernel32; its error would be GetLastError, not captured: the result is only checked.
            // The HANDLE is a SOCKET's value, passed as the 64-bit integer it is.
            B_SETHANDLEINFORMATION = b("SetHandleInformation", false, false, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT);

    /** Every binding of this class, for WinsockBindingsTest. */
    static final java.util.List<Binding> BINDINGS = java.util.List.of(
            B_WSASTARTUP, B_WSASOCKETW, B_IOCTLSOCKET, B_BIND, B_LISTEN, B_ACCEPT, B_CONNECT, B_GETSOCKNAME,
            B_GETPEERNAME, B_GETSOCKOPT, B_SETSOCKOPT, B_SHUTDOWN, B_SEND, B_RECV, B_SEND_AT, B_RECV_AT,
            B_SENDTO_AT, B_RECVFROM_AT, B_CLOSESOCKET, B_SELECT, B_SETHANDLEINFORMATION);

    /** The binding's handle; with capture, Bind decodes the error: SOCKET_ERROR and INVALID_SOCKET are -1. */
    private static MethodHandle h(Binding b) {
        Bind x = Bind.of(b.cName(), b.descriptor()).optional();
        if (b.capture()) x.errno();
        if (b.critical()) x.critical();
        return x.linkIf(WINDOWS);
    }

    private static final MethodHandle WSASTARTUP = h(B_WSASTARTUP);
    private static final MethodHandle WSASOCKETW = h(B_WSASOCKETW);
    private static final MethodHandle IOCTLSOCKET = h(B_IOCTLSOCKET);
    private static final MethodHandle BIND = h(B_BIND);
    private static final MethodHandle LISTEN = h(B_LISTEN);
    private static final MethodHandle ACCEPT = h(B_ACCEPT);
    private static final MethodHandle CONNECT = h(B_CONNECT);
    private static final MethodHandle GETSOCKNAME = h(B_GETSOCKNAME);
    private static final MethodHandle GETPEERNAME = h(B_GETPEERNAME);
    private static final MethodHandle GETSOCKOPT = h(B_GETSOCKOPT);
    private static final MethodHandle SETSOCKOPT = h(B_SETSOCKOPT);
    private static final MethodHandle SHUTDOWN = h(B_SHUTDOWN);
    private static final MethodHandle SEND = h(B_SEND);
    private static final MethodHandle RECV = h(B_RECV);
    private static final MethodHandle SEND_AT = h(B_SEND_AT);
    private static final MethodHandle RECV_AT = h(B_RECV_AT);
    private static final MethodHandle SENDTO_AT = h(B_SENDTO_AT);
    private static final MethodHandle RECVFROM_AT = h(B_RECVFROM_AT);
    private static final MethodHandle CLOSESOCKET = h(B_CLOSESOCKET);
    private static final MethodHandle SELECT = h(B_SELECT);
    private static final MethodHandle SETHANDLEINFORMATION = h(B_SETHANDLEINFORMATION);

    public static boolean available() {
        return WSASTARTUP != null && SELECT != null;
    }

    /** WSAStartup(2.2): 0, or the (positive) Winsock error it returns. Reference-counted by Windows. */
    public static int startup(MemorySegment wsaData) {
        try { return (int) WSASTARTUP.invokeExact(WINSOCK_2_2, wsaData); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /**
     * WSASocketW(af, type, protocol, NULL, 0, OVERLAPPED | NO_HANDLE_INHERIT), which is socket()
     * with a handle child processes do not inherit: the handle, or -WSAGetLastError() (a handle
     * is never negative as a signed long).
     */
    public static long socket(MemorySegment cs, int af, int type, int protocol) {
        try {
            return Bind.ret(cs, (long) WSASOCKETW.invokeExact(cs, af, type, protocol, MemorySegment.NULL, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
        } catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** accept(s, addr, len): the new handle, or -WSAGetLastError(). {@code addr}/{@code len} may be NULL. */
    public static long accept(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        try { return Bind.ret(cs, (long) ACCEPT.invokeExact(cs, s, addr, lenInOut)); } catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /**
     * Clears HANDLE_FLAG_INHERIT on {@code s} (an accepted socket, which does not come from
     * WSASocketW). True if it worked; the error (GetLastError) is not captured.
     */
    public static boolean setNoInherit(long s) {
        if (SETHANDLEINFORMATION == null) return false;
        try { return (int) SETHANDLEINFORMATION.invokeExact(s, HANDLE_FLAG_INHERIT, 0) != 0; }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** ioctlsocket(s, FIONBIO, &1): makes {@code s} non-blocking. {@code arg} is a 4-byte scratch. */
    public static int setNonBlocking(MemorySegment cs, long s, MemorySegment arg) {
        arg.set(JAVA_INT, 0, 1);
        try { return Bind.ret(cs, (int) IOCTLSOCKET.invokeExact(cs, s, FIONBIO, arg)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int bind(MemorySegment cs, long s, MemorySegment addr, int len) {
        try { return Bind.ret(cs, (int) BIND.invokeExact(cs, s, addr, len)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int listen(MemorySegment cs, long s, int backlog) {
        try { return Bind.ret(cs, (int) LISTEN.invokeExact(cs, s, backlog)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int getpeername(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        try { return Bind.ret(cs, (int) GETPEERNAME.invokeExact(cs, s, addr, lenInOut)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int setsockopt(MemorySegment cs, long s, int level, int name, MemorySegment value, int len) {
        try { return Bind.ret(cs, (int) SETSOCKOPT.invokeExact(cs, s, level, name, value, len)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** shutdown(s, how): SD_RECEIVE 0, SD_SEND 1, SD_BOTH 2 (the SHUT_* numbers). */
    public static int shutdown(MemorySegment cs, long s, int how) {
        try { return Bind.ret(cs, (int) SHUTDOWN.invokeExact(cs, s, how)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** Winsock lengths are {@code int}: a longer request is cut to Integer.MAX_VALUE (a short transfer). */
    private static int intLen(long len) {
        return (int) Math.min(len, Integer.MAX_VALUE);
    }

    /** send from {@code buf[off, off+len)}: bytes sent or -WSAGetLastError(). Allocates nothing. */
    public static int send(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags) {
        long a = Unistd.address(buf, off, len);
        try { return Bind.ret(cs, (int) SEND_AT.invokeExact(cs, s, a, intLen(len), flags)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** recv into {@code buf[off, off+len)}: bytes, 0 at end of stream, or -WSAGetLastError(). */
    public static int recv(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags) {
        long a = Unistd.address(buf, off, len);
        try { return Bind.ret(cs, (int) RECV_AT.invokeExact(cs, s, a, intLen(len), flags)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int sendto(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags,
                             MemorySegment addr, int addrLen) {
        long a = Unistd.address(buf, off, len);
        try { return Bind.ret(cs, (int) SENDTO_AT.invokeExact(cs, s, a, intLen(len), flags, addr, addrLen)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int recvfrom(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags,
                               MemorySegment addr, MemorySegment lenInOut) {
        long a = Unistd.address(buf, off, len);
        try { return Bind.ret(cs, (int) RECVFROM_AT.invokeExact(cs, s, a, intLen(len), flags, addr, lenInOut)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int connect(MemorySegment cs, long s, MemorySegment addr, int len) {
        try { return Bind.ret(cs, (int) CONNECT.invokeExact(cs, s, addr, len)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int getsockname(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        try { return Bind.ret(cs, (int) GETSOCKNAME.invokeExact(cs, s, addr, lenInOut)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int getsockopt(MemorySegment cs, long s, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        try { return Bind.ret(cs, (int) GETSOCKOPT.invokeExact(cs, s, level, name, value, lenInOut)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int send(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        try { return Bind.ret(cs, (int) SEND.invokeExact(cs, s, buf, len, flags)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int recv(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        try { return Bind.ret(cs, (int) RECV.invokeExact(cs, s, buf, len, flags)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    public static int closesocket(MemorySegment cs, long s) {
        try { return Bind.ret(cs, (int) CLOSESOCKET.invokeExact(cs, s)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }

    /** select(0, r, w, e, timeout): ready count, 0 on timeout, or -WSAGetLastError(). */
    public static int select(MemorySegment cs, MemorySegment readfds, MemorySegment writefds,
                             MemorySegment exceptfds, MemorySegment timeout) {
        try { return Bind.ret(cs, (int) SELECT.invokeExact(cs, 0, readfds, writefds, exceptfds, timeout)); }
        catch (Throwable t) { throw Bind.rethrow(t); }
    }
}
