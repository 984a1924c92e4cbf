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
import java.util.List;

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
    static final List<Binding> BINDINGS = List.of(
            B_WSASTARTUP, B_WSASOCKETW, B_IOCTLSOCKET, B_BIND, B_LISTEN, B_ACCEPT, B_CONNECT, B_GETSOCKNAME,
            B_GETPEERNAME, B_GETSOCKOPT, B_SETSOCKOPT, B_SHUTDOWN, B_SEND, B_RECV, B_SEND_AT, B_RECV_AT,
            B_SENDTO_AT, B_RECVFROM_AT, B_CLOSESOCKET, B_SELECT, B_SETHANDLEINFORMATION);

    /** The binding as {@code shape} (null off Windows); with capture, Bind decodes the error: SOCKET_ERROR and INVALID_SOCKET are -1. */
    private static <T> T h(Binding b, Class<T> shape) {
        Bind x = Bind.of(b.cName(), b.descriptor()).optional();
        if (b.capture()) x.errno();
        if (b.critical()) x.critical();
        return x.linkIf(WINDOWS, shape);
    }

    private static final Fn.IntSA WSASTARTUP = h(B_WSASTARTUP, Fn.IntSA.class);
    private static final Fn.LongCIIIAII WSASOCKETW = h(B_WSASOCKETW, Fn.LongCIIIAII.class);
    private static final Fn.IntCJIA IOCTLSOCKET = h(B_IOCTLSOCKET, Fn.IntCJIA.class);
    private static final Fn.IntCJAI BIND = h(B_BIND, Fn.IntCJAI.class);
    private static final Fn.IntCJI LISTEN = h(B_LISTEN, Fn.IntCJI.class);
    private static final Fn.LongCJAA ACCEPT = h(B_ACCEPT, Fn.LongCJAA.class);
    private static final Fn.IntCJAI CONNECT = h(B_CONNECT, Fn.IntCJAI.class);
    private static final Fn.IntCJAA GETSOCKNAME = h(B_GETSOCKNAME, Fn.IntCJAA.class);
    private static final Fn.IntCJAA GETPEERNAME = h(B_GETPEERNAME, Fn.IntCJAA.class);
    private static final Fn.IntCJIIAA GETSOCKOPT = h(B_GETSOCKOPT, Fn.IntCJIIAA.class);
    private static final Fn.IntCJIIAI SETSOCKOPT = h(B_SETSOCKOPT, Fn.IntCJIIAI.class);
    private static final Fn.IntCJI SHUTDOWN = h(B_SHUTDOWN, Fn.IntCJI.class);
    private static final Fn.IntCJAII SEND = h(B_SEND, Fn.IntCJAII.class);
    private static final Fn.IntCJAII RECV = h(B_RECV, Fn.IntCJAII.class);
    private static final Fn.IntCJJII SEND_AT = h(B_SEND_AT, Fn.IntCJJII.class);
    private static final Fn.IntCJJII RECV_AT = h(B_RECV_AT, Fn.IntCJJII.class);
    private static final Fn.IntCJJIIAI SENDTO_AT = h(B_SENDTO_AT, Fn.IntCJJIIAI.class);
    private static final Fn.IntCJJIIAA RECVFROM_AT = h(B_RECVFROM_AT, Fn.IntCJJIIAA.class);
    private static final Fn.IntCJ CLOSESOCKET = h(B_CLOSESOCKET, Fn.IntCJ.class);
    private static final Fn.IntCIAAAA SELECT = h(B_SELECT, Fn.IntCIAAAA.class);
    private static final Fn.IntJII SETHANDLEINFORMATION = h(B_SETHANDLEINFORMATION, Fn.IntJII.class);

    public static boolean available() {
        return WSASTARTUP != null && SELECT != null;
    }

    /** WSAStartup(2.2): 0, or the (positive) Winsock error it returns. Reference-counted by Windows. */
    public static int startup(MemorySegment wsaData) {
        return WSASTARTUP.call(WINSOCK_2_2, wsaData);
    }

    /**
     * WSASocketW(af, type, protocol, NULL, 0, OVERLAPPED | NO_HANDLE_INHERIT), which is socket()
     * with a handle child processes do not inherit: the handle, or -WSAGetLastError() (a handle
     * is never negative as a signed long).
     */
    public static long socket(MemorySegment cs, int af, int type, int protocol) {
        return Bind.ret(cs, WSASOCKETW.call(cs, af, type, protocol, MemorySegment.NULL, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
    }

    /** accept(s, addr, len): the new handle, or -WSAGetLastError(). {@code addr}/{@code len} may be NULL. */
    public static long accept(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, ACCEPT.call(cs, s, addr, lenInOut));
    }

    /**
     * Clears HANDLE_FLAG_INHERIT on {@code s} (an accepted socket, which does not come from
     * WSASocketW). True if it worked; the error (GetLastError) is not captured.
     */
    public static boolean setNoInherit(long s) {
        if (SETHANDLEINFORMATION == null) return false;
        return SETHANDLEINFORMATION.call(s, HANDLE_FLAG_INHERIT, 0) != 0;
    }

    /** ioctlsocket(s, FIONBIO, &1): makes {@code s} non-blocking. {@code arg} is a 4-byte scratch. */
    public static int setNonBlocking(MemorySegment cs, long s, MemorySegment arg) {
        arg.set(JAVA_INT, 0, 1);
        return Bind.ret(cs, IOCTLSOCKET.call(cs, s, FIONBIO, arg));
    }

    public static int bind(MemorySegment cs, long s, MemorySegment addr, int len) {
        return Bind.ret(cs, BIND.call(cs, s, addr, len));
    }

    public static int listen(MemorySegment cs, long s, int backlog) {
        return Bind.ret(cs, LISTEN.call(cs, s, backlog));
    }

    public static int getpeername(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, GETPEERNAME.call(cs, s, addr, lenInOut));
    }

    public static int setsockopt(MemorySegment cs, long s, int level, int name, MemorySegment value, int len) {
        return Bind.ret(cs, SETSOCKOPT.call(cs, s, level, name, value, len));
    }

    /** shutdown(s, how): SD_RECEIVE 0, SD_SEND 1, SD_BOTH 2 (the SHUT_* numbers). */
    public static int shutdown(MemorySegment cs, long s, int how) {
        return Bind.ret(cs, SHUTDOWN.call(cs, s, how));
    }

    /** Winsock lengths are {@code int}: a longer request is cut to Integer.MAX_VALUE (a short transfer). */
    private static int intLen(long len) {
        return (int) Math.min(len, Integer.MAX_VALUE);
    }

    /** send from {@code buf[off, off+len)}: bytes sent or -WSAGetLastError(). Allocates nothing. */
    public static int send(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags) {
        long a = Unistd.address(buf, off, len);
        return Bind.ret(cs, SEND_AT.call(cs, s, a, intLen(len), flags));
    }

    /** recv into {@code buf[off, off+len)}: bytes, 0 at end of stream, or -WSAGetLastError(). */
    public static int recv(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags) {
        long a = Unistd.address(buf, off, len);
        return Bind.ret(cs, RECV_AT.call(cs, s, a, intLen(len), flags));
    }

    public static int sendto(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags,
                             MemorySegment addr, int addrLen) {
        long a = Unistd.address(buf, off, len);
        return Bind.ret(cs, SENDTO_AT.call(cs, s, a, intLen(len), flags, addr, addrLen));
    }

    public static int recvfrom(MemorySegment cs, long s, MemorySegment buf, long off, long len, int flags,
                               MemorySegment addr, MemorySegment lenInOut) {
        long a = Unistd.address(buf, off, len);
        return Bind.ret(cs, RECVFROM_AT.call(cs, s, a, intLen(len), flags, addr, lenInOut));
    }

    public static int connect(MemorySegment cs, long s, MemorySegment addr, int len) {
        return Bind.ret(cs, CONNECT.call(cs, s, addr, len));
    }

    public static int getsockname(MemorySegment cs, long s, MemorySegment addr, MemorySegment lenInOut) {
        return Bind.ret(cs, GETSOCKNAME.call(cs, s, addr, lenInOut));
    }

    public static int getsockopt(MemorySegment cs, long s, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        return Bind.ret(cs, GETSOCKOPT.call(cs, s, level, name, value, lenInOut));
    }

    public static int send(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        return Bind.ret(cs, SEND.call(cs, s, buf, len, flags));
    }

    public static int recv(MemorySegment cs, long s, MemorySegment buf, int len, int flags) {
        return Bind.ret(cs, RECV.call(cs, s, buf, len, flags));
    }

    public static int closesocket(MemorySegment cs, long s) {
        return Bind.ret(cs, CLOSESOCKET.call(cs, s));
    }

    /** select(0, r, w, e, timeout): ready count, 0 on timeout, or -WSAGetLastError(). */
    public static int select(MemorySegment cs, MemorySegment readfds, MemorySegment writefds,
                             MemorySegment exceptfds, MemorySegment timeout) {
        return Bind.ret(cs, SELECT.call(cs, 0, readfds, writefds, exceptfds, timeout));
    }
}
