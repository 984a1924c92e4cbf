package io.github.ffmreactor.net;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Sockets;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.sys.Winsock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The socket calls the loop makes, for POSIX fds and Windows SOCKET handles alike. Each method
 * branches on {@link #WINDOWS}, a static final the JIT folds away: on POSIX every method is the
 * {@code Unistd}/{@code Sockets} call it replaces, at the same cost (stream I/O is still
 * {@code read(2)}/{@code write(2)}, so a pipe end registered on a loop works as before).
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

    /** True on Windows (Winsock calls), false on POSIX. Constant-folded. */
    static final boolean WINDOWS = Platform.CURRENT == Platform.WINDOWS;
    private static final SocketConsts C = SocketConsts.CURRENT;

    /** The C name of a stream read here, for error messages: {@code recv} on Winsock, {@code read} on POSIX. */
    public static final String READ_CALL = WINDOWS ? "recv" : "read";
    /** The C name of a stream write here: {@code send} on Winsock, {@code write} on POSIX. */
    public static final String WRITE_CALL = WINDOWS ? "send" : "write";

    /** The name of the accept call, for error messages. */
    public static final String ACCEPT_CALL = !WINDOWS && Sockets.hasAccept4() ? "accept4" : "accept";

    /**
     * Whether {@code errno} from accept belongs to one pending connection beyond those POSIX names
     * (the caller's list): Winsock reports a connection reset before it was taken as WSAECONNRESET,
     * where POSIX systems drop it or return ECONNABORTED. The listener goes on with the next one.
     */
    public static boolean acceptRetryable(int errno) {
        return WINDOWS && errno == Errno.ECONNRESET;
    }

    // WSAStartup before the first socket call. Windows counts the calls; the project never calls
    // WSACleanup (Winsock lives as long as the process), so once here is enough.
    private static final int WSA_STARTUP_ERROR = WINDOWS ? wsaStartup() : 0;

    private static int wsaStartup() {
        try (Arena a = Arena.ofConfined()) {
            return Winsock.startup(a.allocate(Winsock.WSADATA_SIZE, 8));
        }
    }

    // A 4-byte FIONBIO argument per thread, so that accept allocates nothing (Windows only).
    private static final ThreadLocal<MemorySegment> FIONBIO_ARG =
            ThreadLocal.withInitial(() -> Arena.global().allocate(8, 8));

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
        if (WINDOWS) {
            if (WSA_STARTUP_ERROR != 0) throw Errno.exception("WSAStartup", WSA_STARTUP_ERROR);
            long s = Winsock.socket(cs, family, type, 0);
            if (s < 0) throw Errno.exception("WSASocketW", (int) -s);
            if (!fitsInFd(s)) {
                Winsock.closesocket(cs, s);
                throw new IllegalStateException(tooLarge("WSASocketW", s));
            }
            int r = Winsock.setNonBlocking(cs, s, FIONBIO_ARG.get());
            if (r < 0) {
                Winsock.closesocket(cs, s);
                throw Errno.exception("ioctlsocket(FIONBIO)", -r);
            }
            return (int) s;
        }
        int fd = Errno.check("socket", Sockets.socket(cs, family, type | C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 0));
        if (C.SOCK_NONBLOCK() == 0) {
            int r = Unistd.setNonBlockingCloexec(cs, fd);
            if (r < 0) {
                Unistd.close(cs, fd);
                throw Errno.exception("fcntl(O_NONBLOCK)", -r);
            }
        }
        return fd;
    }

    /**
     * Accepts one connection, non-blocking and not inherited: the new fd, or -errno (-EAGAIN when
     * none is pending). Allocates nothing. On Windows a handle that does not fit an int fd is
     * closed and an IllegalStateException names it (never seen in practice, see the class comment).
     */
    public static int accept(MemorySegment cs, int listenFd) {
        if (WINDOWS) {
            long s = Winsock.accept(cs, socketOf(listenFd), MemorySegment.NULL, MemorySegment.NULL);
            if (s < 0) return (int) s;
            if (!fitsInFd(s)) {
                Winsock.closesocket(cs, s);
                throw new IllegalStateException(tooLarge("accept", s));
            }
            // Winsock documents that an accepted socket shares the listener's properties; set
            // non-blocking anyway (as mio does), and clear inheritance, which is the handle's.
            int r = Winsock.setNonBlocking(cs, s, FIONBIO_ARG.get());
            if (r < 0) {
                Winsock.closesocket(cs, s);
                return r;
            }
            Winsock.setNoInherit(s); // best effort: a failure only leaves the handle inheritable
            return (int) s;
        }
        if (Sockets.hasAccept4()) {
            return Sockets.accept4(cs, listenFd, MemorySegment.NULL, MemorySegment.NULL,
                    C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC());
        }
        int fd = Sockets.accept(cs, listenFd, MemorySegment.NULL, MemorySegment.NULL);
        if (fd < 0) return fd;
        int r = Unistd.setNonBlockingCloexec(cs, fd);
        if (r < 0) {
            Unistd.close(cs, fd);
            return r;
        }
        return fd;
    }

    /** close(2) or closesocket: 0 or -errno. The caller must never close the same number twice. */
    public static int close(MemorySegment cs, int fd) {
        if (WINDOWS) return Winsock.closesocket(cs, socketOf(fd));
        return Unistd.close(cs, fd);
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        if (WINDOWS) return Winsock.bind(cs, socketOf(fd), addr, len);
        return Sockets.bind(cs, fd, addr, len);
    }

    public static int listen(MemorySegment cs, int fd, int backlog) {
        if (WINDOWS) return Winsock.listen(cs, socketOf(fd), backlog);
        return Sockets.listen(cs, fd, backlog);
    }

    /**
     * A non-blocking connect: 0 when connected at once, -EINPROGRESS while the handshake runs, or
     * -errno. Winsock says WSAEWOULDBLOCK where POSIX says EINPROGRESS; it is reported as the
     * latter. (On POSIX, EAGAIN from connect means something else and is left as it is.)
     */
    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        if (WINDOWS) {
            int r = Winsock.connect(cs, socketOf(fd), addr, len);
            return r == -Errno.EAGAIN ? -Errno.EINPROGRESS : r;
        }
        return Sockets.connect(cs, fd, addr, len);
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        if (WINDOWS) return Winsock.setsockopt(cs, socketOf(fd), level, name, value, len);
        return Sockets.setsockopt(cs, fd, level, name, value, len);
    }

    /** getsockopt; {@code lenInOut} is a 4-byte length holding the value's capacity. */
    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        if (WINDOWS) return Winsock.getsockopt(cs, socketOf(fd), level, name, value, lenInOut);
        return Sockets.getsockopt(cs, fd, level, name, value, lenInOut);
    }

    /** shutdown: SHUT_RD/SHUT_WR/SHUT_RDWR (SD_RECEIVE/SD_SEND/SD_BOTH, the same numbers). */
    public static int shutdown(MemorySegment cs, int fd, int how) {
        if (WINDOWS) return Winsock.shutdown(cs, socketOf(fd), how);
        return Sockets.shutdown(cs, fd, how);
    }

    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        if (WINDOWS) return Winsock.getsockname(cs, socketOf(fd), addr, lenInOut);
        return Sockets.getsockname(cs, fd, addr, lenInOut);
    }

    public static int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        if (WINDOWS) return Winsock.getpeername(cs, socketOf(fd), addr, lenInOut);
        return Sockets.getpeername(cs, fd, addr, lenInOut);
    }

    // ---- the hot path ----------------------------------------------------------------------------

    /** Reads into {@code buf[off, off+len)}: bytes, 0 at end of stream, or -errno. Allocates nothing. */
    public static long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (WINDOWS) return Winsock.recv(cs, socketOf(fd), buf, off, len, 0);
        return Unistd.read(cs, fd, buf, off, len);
    }

    /**
     * As {@link #read}, for a socket whose readiness reported no error: the successful read
     * captures no errno ({@link Unistd#readPlainFirst}, which says what that costs: a reset
     * arriving after the wait reads as end of stream).
     */
    public static long readPlainFirst(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (WINDOWS) return Winsock.recv(cs, socketOf(fd), buf, off, len, 0);
        return Unistd.readPlainFirst(cs, fd, buf, off, len);
    }

    /** Writes from {@code buf[off, off+len)}: bytes written or -errno. Allocates nothing. */
    public static long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (WINDOWS) return Winsock.send(cs, socketOf(fd), buf, off, len, 0);
        return Unistd.write(cs, fd, buf, off, len);
    }

    /**
     * Whether {@link #writev} gathers several pieces in one call: POSIX writev(2). Winsock has no
     * writev on a SOCKET the loop can reach this way; there a connection writes piece by piece.
     */
    public static final boolean GATHERS = !WINDOWS;
    /** The C name of a gathered write, for error messages. */
    public static final String WRITEV_CALL = "writev";

    /** writev(2) of {@code count} iovecs ({@code Unistd.IOVEC}) from {@code iov}: bytes or -errno. POSIX only ({@link #GATHERS}). */
    public static long writev(MemorySegment cs, int fd, MemorySegment iov, int count) {
        if (WINDOWS) throw new UnsupportedOperationException("writev on Winsock");
        return Unistd.writev(cs, fd, iov, count);
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
        if (WINDOWS) {
            int r = Winsock.recvfrom(cs, socketOf(fd), buf, off, len, 0, addr, lenInOut);
            if (r == -Errno.ECONNRESET) return -Errno.ECONNREFUSED;
            if (r == -Errno.EMSGSIZE) return Math.min(len, Integer.MAX_VALUE);
            return r;
        }
        return Sockets.recvfrom(cs, fd, buf, off, len, 0, addr, lenInOut);
    }

    /** sendto from {@code buf[off, off+len)}: bytes sent or -errno. Allocates nothing. */
    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len,
                              MemorySegment addr, int addrLen) {
        if (WINDOWS) return Winsock.sendto(cs, socketOf(fd), buf, off, len, 0, addr, addrLen);
        return Sockets.sendto(cs, fd, buf, off, len, 0, addr, addrLen);
    }
}
