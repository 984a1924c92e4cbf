package io.github.ffmreactor.net;

import static io.github.ffmreactor.net.SocketIo.fitsInFd;
import static io.github.ffmreactor.net.SocketIo.socketOf;
import static io.github.ffmreactor.net.SocketIo.tooLarge;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Winsock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Windows sockets (ws2_32): SOCKET handles carried as int fds (see {@link SocketIo} on why they fit),
 * and Winsock's habits turned into the POSIX results the loop expects. Only constructed on Windows.
 */
final class WinsockSocketOps implements SocketOps {
    // WSAStartup before the first socket call. Windows counts the calls; the project never calls
    // WSACleanup (Winsock lives as long as the process), so once, when this class is chosen, is enough.
    private final int wsaStartupError;

    // A 4-byte FIONBIO argument per thread, so that accept allocates nothing.
    private static final ThreadLocal<MemorySegment> FIONBIO_ARG =
            ThreadLocal.withInitial(() -> Arena.global().allocate(8, 8));

    WinsockSocketOps() {
        try (Arena a = Arena.ofConfined()) {
            wsaStartupError = Winsock.startup(a.allocate(Winsock.WSADATA_SIZE, 8));
        }
    }

    @Override public String readCall() { return "recv"; }
    @Override public String writeCall() { return "send"; }
    @Override public String closeCall() { return "closesocket"; }
    @Override public String acceptCall() { return "accept"; }
    /** Winsock reports a connection reset before it was accepted as WSAECONNRESET from accept. */
    @Override public boolean acceptErrorOfPeer(int errno) { return errno == Errno.ECONNRESET; }
    /** On Windows SO_REUSEADDR lets another socket bind the port while this one listens; TIME_WAIT needs no option. */
    @Override public boolean listenWithReuseAddr() { return false; }

    @Override
    public int socket(MemorySegment cs, int family, int type) throws NativeException {
        if (wsaStartupError != 0) throw Errno.exception("WSAStartup", wsaStartupError);
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

    @Override
    public int accept(MemorySegment cs, int listenFd) {
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

    @Override public int close(MemorySegment cs, int fd) { return Winsock.closesocket(cs, socketOf(fd)); }
    @Override public int bind(MemorySegment cs, int fd, MemorySegment addr, int len) { return Winsock.bind(cs, socketOf(fd), addr, len); }
    @Override public int listen(MemorySegment cs, int fd, int backlog) { return Winsock.listen(cs, socketOf(fd), backlog); }

    /** Winsock says WSAEWOULDBLOCK where POSIX says EINPROGRESS: reported as the latter. */
    @Override
    public int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        int r = Winsock.connect(cs, socketOf(fd), addr, len);
        return r == -Errno.EAGAIN ? -Errno.EINPROGRESS : r;
    }

    @Override
    public int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        return Winsock.setsockopt(cs, socketOf(fd), level, name, value, len);
    }

    @Override
    public int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        return Winsock.getsockopt(cs, socketOf(fd), level, name, value, lenInOut);
    }

    @Override public int shutdown(MemorySegment cs, int fd, int how) { return Winsock.shutdown(cs, socketOf(fd), how); }

    @Override
    public int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Winsock.getsockname(cs, socketOf(fd), addr, lenInOut);
    }

    @Override
    public int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Winsock.getpeername(cs, socketOf(fd), addr, lenInOut);
    }

    @Override
    public long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return Winsock.recv(cs, socketOf(fd), buf, off, len, 0);
    }

    @Override
    public long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return Winsock.send(cs, socketOf(fd), buf, off, len, 0);
    }

    /**
     * A datagram longer than the buffer fails with WSAEMSGSIZE after filling it (POSIX returns it
     * truncated: here, {@code len}); an ICMP port-unreachable for an earlier send shows as
     * WSAECONNRESET on a UDP socket (POSIX: ECONNREFUSED).
     */
    @Override
    public long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr,
                         MemorySegment lenInOut) {
        int r = Winsock.recvfrom(cs, socketOf(fd), buf, off, len, 0, addr, lenInOut);
        if (r == -Errno.ECONNRESET) return -Errno.ECONNREFUSED;
        if (r == -Errno.EMSGSIZE) return Math.min(len, Integer.MAX_VALUE);
        return r;
    }

    @Override
    public long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr, int addrLen) {
        return Winsock.sendto(cs, socketOf(fd), buf, off, len, 0, addr, addrLen);
    }
}
