package io.github.ffmreactor.net;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Platform;
import java.lang.foreign.MemorySegment;

/**
 * The socket calls the loop makes, for POSIX fds and Windows SOCKET handles alike. Each method
 * calls the {@link SocketOps} of this OS, chosen once into a static final ({@link PosixSocketOps}
 * or {@link WinsockSocketOps}): the JIT knows its exact class and inlines it, so on POSIX every
 * method is the {@code Unistd}/{@code Sockets} call it replaces, at the same cost (stream I/O is
 * still {@code read(2)}/{@code write(2)}, so a pipe end registered on a loop works as before).
 * Callers never ask which OS this is: the differences they need are {@link #READ_CALL},
 * {@link #WRITE_CALL}, {@link #CLOSE_CALL}, {@link #ACCEPT_CALL}, {@link #acceptErrorOfPeer} and
 * {@link #LISTEN_WITH_REUSEADDR}.
 *
 * <p>Every method returns its result or {@code -errno}; on Windows the errno is
 * {@code WSAGetLastError()} (captured by the same segment), whose numbers {@link Errno} names
 * with the POSIX names, so {@code -Errno.EAGAIN} is WSAEWOULDBLOCK there and callers compare as on
 * POSIX.
 *
 * <p>Handles: the loop carries every socket as an {@code int fd}, with -1 for "closed". A SOCKET
 * is a {@code UINT_PTR}, but its value is a kernel handle: a multiple of 4 below the per-process
 * handle limit (2^24 handles), far inside 31 bits. A handle that does not fit in 31 bits is
 * refused (closed, with an error naming the value) rather than truncated; see
 * native-notes/windows-select.md.
 */
public final class SocketIo {
    private SocketIo() {}

    /** True on Windows (Winsock calls), false on POSIX. For tests and diagnostics: callers use the constants below. */
    public static final boolean WINDOWS = Platform.CURRENT == Platform.WINDOWS;

    private static final SocketOps OPS = WINDOWS ? new WinsockSocketOps() : new PosixSocketOps();

    /** The name of the accept call, for error messages. */
    public static final String ACCEPT_CALL = OPS.acceptCall();
    /** The name of the stream read call ({@link #read}), for error messages: read, or recv on Windows. */
    public static final String READ_CALL = OPS.readCall();
    /** The name of the stream write call ({@link #write}), for error messages: write, or send on Windows. */
    public static final String WRITE_CALL = OPS.writeCall();
    /** The name of the close call ({@link #close}), for error messages: close, or closesocket on Windows. */
    public static final String CLOSE_CALL = OPS.closeCall();
    /** Whether listening sockets set SO_REUSEADDR (not on Windows, where it allows port stealing). */
    public static final boolean LISTEN_WITH_REUSEADDR = OPS.listenWithReuseAddr();

    /**
     * Whether an accept error with {@code errno} concerns only the pending connection on this OS,
     * beyond the errors every OS shares (Windows: WSAECONNRESET, a connection reset before it was taken).
     */
    public static boolean acceptErrorOfPeer(int errno) {
        return OPS.acceptErrorOfPeer(errno);
    }

    // ---- handles ---------------------------------------------------------------------------------

    /** Whether a SOCKET handle value can travel as an {@code int fd} (0 .. 2^31-1). */
    public static boolean fitsInFd(long socket) {
        return socket >= 0 && socket <= Integer.MAX_VALUE;
    }

    /** The SOCKET behind an {@code int fd}: the value itself, zero-extended (as WinSelectPoller reads it). */
    static long socketOf(int fd) {
        return Integer.toUnsignedLong(fd);
    }

    /** The message for a handle that does not fit; names the value in hex and decimal. */
    static String tooLarge(String call, long socket) {
        return call + ": SOCKET handle 0x" + Long.toHexString(socket) + " (" + Long.toUnsignedString(socket)
                + ") does not fit in 31 bits, which the loop's int fds carry; it was closed";
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    /**
     * A new socket, non-blocking and not inherited by child processes (close-on-exec on POSIX,
     * no handle inheritance on Windows). Throws naming the failing call; nothing is left open.
     */
    public static int socket(MemorySegment cs, int family, int type) throws NativeException {
        return OPS.socket(cs, family, type);
    }

    /**
     * Accepts one connection, non-blocking and not inherited: the new fd, or -errno (-EAGAIN when
     * none is pending). Allocates nothing. On Windows a handle that does not fit an int fd is
     * closed and an IllegalStateException names it (never seen in practice, see the class comment).
     */
    public static int accept(MemorySegment cs, int listenFd) {
        return OPS.accept(cs, listenFd);
    }

    /** close(2) or closesocket: 0 or -errno. The caller must never close the same number twice. */
    public static int close(MemorySegment cs, int fd) {
        return OPS.close(cs, fd);
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        return OPS.bind(cs, fd, addr, len);
    }

    public static int listen(MemorySegment cs, int fd, int backlog) {
        return OPS.listen(cs, fd, backlog);
    }

    /**
     * A non-blocking connect: 0 when connected at once, -EINPROGRESS while the handshake runs, or
     * -errno. Winsock says WSAEWOULDBLOCK where POSIX says EINPROGRESS; it is reported as the
     * latter. (On POSIX, EAGAIN from connect means something else and is left as it is.)
     */
    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        return OPS.connect(cs, fd, addr, len);
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        return OPS.setsockopt(cs, fd, level, name, value, len);
    }

    /** getsockopt; {@code lenInOut} is a 4-byte length holding the value's capacity. */
    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        return OPS.getsockopt(cs, fd, level, name, value, lenInOut);
    }

    /** shutdown: SHUT_RD/SHUT_WR/SHUT_RDWR (SD_RECEIVE/SD_SEND/SD_BOTH, the same numbers). */
    public static int shutdown(MemorySegment cs, int fd, int how) {
        return OPS.shutdown(cs, fd, how);
    }

    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return OPS.getsockname(cs, fd, addr, lenInOut);
    }

    public static int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return OPS.getpeername(cs, fd, addr, lenInOut);
    }

    // ---- the hot path ----------------------------------------------------------------------------

    /** Reads into {@code buf[off, off+len)}: bytes, 0 at end of stream, or -errno. Allocates nothing. */
    public static long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return OPS.read(cs, fd, buf, off, len);
    }

    /** Writes from {@code buf[off, off+len)}: bytes written or -errno. Allocates nothing. */
    public static long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return OPS.write(cs, fd, buf, off, len);
    }

    /**
     * recvfrom into {@code buf[off, off+len)}, the sender into {@code addr} (capacity in
     * {@code lenInOut}): bytes or -errno. On Windows two Winsock habits are turned into the POSIX
     * ones the loop expects: a datagram longer than the buffer fails with WSAEMSGSIZE after filling
     * it (POSIX returns it truncated: here, {@code len}), and an ICMP port-unreachable for an
     * earlier send shows as WSAECONNRESET on a UDP socket (POSIX: ECONNREFUSED).
     */
    public static long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len,
                                MemorySegment addr, MemorySegment lenInOut) {
        return OPS.recvfrom(cs, fd, buf, off, len, addr, lenInOut);
    }

    /** sendto from {@code buf[off, off+len)}: bytes sent or -errno. Allocates nothing. */
    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len,
                              MemorySegment addr, int addrLen) {
        return OPS.sendto(cs, fd, buf, off, len, addr, addrLen);
    }
}
