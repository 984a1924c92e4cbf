package io.github.ffmreactor.net;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.SocketConsts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * TCP sockets as plain fds (on Windows, SOCKET handles carried as ints: see {@link SocketIo}):
 * every socket is non-blocking and close-on-exec (not inheritable) from birth. Calls off
 * the hot path (listen, connect, options, addresses) use the calling thread's errno segment and a
 * short-lived arena; {@link #accept} allocates nothing.
 */
public final class Tcp {
    private Tcp() {}

    static final SocketConsts C = SocketConsts.CURRENT;

    /** A bound, listening, non-blocking socket. Closed again if any step fails. */
    public static int listen(InetSocketAddress address, int backlog, boolean reusePort) throws NativeException {
        int fd = socket(address, C.SOCK_STREAM());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.threadCallState();
            // On Windows SO_REUSEADDR would let another socket bind the same port while this one
            // listens (port stealing); Windows already allows a bind over TIME_WAIT without it.
            if (!SocketIo.WINDOWS) setIntOption(fd, C.SOL_SOCKET(), C.SO_REUSEADDR(), 1, "setsockopt(SO_REUSEADDR)");
            if (reusePort) {
                if (C.SO_REUSEPORT() < 0) throw new UnsupportedOperationException("SO_REUSEPORT is not available on " + C.os());
                setIntOption(fd, C.SOL_SOCKET(), C.SO_REUSEPORT(), 1, "setsockopt(SO_REUSEPORT)");
            }
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = encode(address, sa);
            Errno.check("bind " + address, SocketIo.bind(cs, fd, sa, len));
            Errno.check("listen", SocketIo.listen(cs, fd, backlog));
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A non-blocking connect. Returns the fd; the connection completes (or fails) later, when the
     * socket turns writable and {@link #soError} says how it went. A refusal the kernel reports at
     * once is thrown here.
     */
    public static int connect(InetSocketAddress address) throws NativeException {
        int fd = socket(address, C.SOCK_STREAM());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = encode(address, sa);
            int r = SocketIo.connect(Native.threadCallState(), fd, sa, len);
            if (r < 0 && r != -Errno.EINPROGRESS && r != -Errno.EINTR) {
                throw Errno.exception("connect", -r, "to " + address);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A new non-blocking, close-on-exec stream socket of the address's family, not connected: for
     * an engine that connects it itself (io_uring's IORING_OP_CONNECT, with {@link #encode}).
     */
    public static int connectingSocket(InetSocketAddress address) throws NativeException {
        return socket(address, C.SOCK_STREAM());
    }

    /**
     * Accepts one connection, non-blocking and close-on-exec: the new fd, or -errno (-EAGAIN when
     * none is pending). Allocates nothing.
     */
    public static int accept(MemorySegment cs, int listenFd) {
        return SocketIo.accept(cs, listenFd);
    }

    /** A new non-blocking socket of the address's family. */
    static int socket(InetSocketAddress address, int type) throws NativeException {
        if (address.isUnresolved()) throw new IllegalArgumentException("unresolved address: " + address);
        int family = address.getAddress() instanceof Inet6Address ? C.AF_INET6() : C.AF_INET();
        int fd = SocketIo.socket(Native.threadCallState(), family, type);
        if (C.SO_NOSIGPIPE() >= 0) {
            // macOS has no MSG_NOSIGNAL: the socket itself must be told not to raise SIGPIPE.
            try {
                setIntOption(fd, C.SOL_SOCKET(), C.SO_NOSIGPIPE(), 1, "setsockopt(SO_NOSIGPIPE)");
            } catch (NativeException e) {
                Fds.closeQuietly(fd);
                throw e;
            }
        }
        return fd;
    }

    public static void setNoDelay(int fd, boolean on) throws NativeException {
        setIntOption(fd, C.IPPROTO_TCP(), C.TCP_NODELAY(), on ? 1 : 0, "setsockopt(TCP_NODELAY)");
    }

    /** TCP_NODELAY on a fresh connection, from the loop thread: no allocation, -errno on failure. */
    public static int setNoDelay(MemorySegment cs, int fd, MemorySegment intScratch) {
        intScratch.set(JAVA_INT, 0, 1);
        return SocketIo.setsockopt(cs, fd, C.IPPROTO_TCP(), C.TCP_NODELAY(), intScratch, 4);
    }

    public static void setIntOption(int fd, int level, int name, int value, String what) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            Errno.check(what, SocketIo.setsockopt(Native.threadCallState(), fd, level, name, v, 4));
        }
    }

    public static int getIntOption(int fd, int level, int name, String what) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 4);
            Errno.check(what, SocketIo.getsockopt(Native.threadCallState(), fd, level, name, v, len));
            return v.get(JAVA_INT, 0);
        }
    }

    /** getsockopt(SO_ERROR): the pending error of the socket (0 if none), and clears it. */
    public static int soError(int fd) throws NativeException {
        return getIntOption(fd, C.SOL_SOCKET(), C.SO_ERROR(), "getsockopt(SO_ERROR)");
    }

    public static void shutdownOutput(int fd) throws NativeException {
        Errno.check("shutdown", SocketIo.shutdown(Native.threadCallState(), fd, C.SHUT_WR()));
    }

    public static InetSocketAddress localAddress(int fd) throws NativeException {
        return name(fd, true);
    }

    public static InetSocketAddress remoteAddress(int fd) throws NativeException {
        return name(fd, false);
    }

    private static InetSocketAddress name(int fd, boolean local) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, SockAddr.SIZEOF_STORAGE);
            MemorySegment cs = Native.threadCallState();
            int r = local ? SocketIo.getsockname(cs, fd, sa, len) : SocketIo.getpeername(cs, fd, sa, len);
            Errno.check(local ? "getsockname" : "getpeername", r);
            return decode(sa);
        }
    }

    /** Writes {@code address} as a sockaddr into {@code out}; returns its length. */
    public static int encode(InetSocketAddress address, MemorySegment out) {
        InetAddress ia = address.getAddress();
        int scope = ia instanceof Inet6Address i6 ? i6.getScopeId() : 0;
        return SockAddr.encode(C, out, ia.getAddress(), address.getPort(), scope);
    }

    public static InetSocketAddress decode(MemorySegment sa) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(SockAddr.address(C, sa)), SockAddr.port(sa));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
