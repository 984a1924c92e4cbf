package io.github.ffmreactor.net;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.Sockets;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Unix domain stream sockets (AF_UNIX, SOCK_STREAM) as plain fds, on the OSes that have them in
 * this project (Linux, macOS, FreeBSD). Paths are filesystem paths; Linux's abstract namespace is
 * not used.
 */
public final class Unix {
    private Unix() {}

    public static boolean available() {
        return Platform.CURRENT != Platform.WINDOWS;
    }

    private static int socket() throws NativeException {
        if (!available()) throw new UnsupportedOperationException("unix domain sockets are not supported here");
        MemorySegment cs = Native.threadCallState();
        int fd = Errno.check("socket(AF_UNIX)",
                Sockets.socket(cs, Tcp.C.AF_UNIX(), Tcp.C.SOCK_STREAM() | Tcp.C.SOCK_NONBLOCK() | Tcp.C.SOCK_CLOEXEC(), 0));
        if (Tcp.C.SOCK_NONBLOCK() == 0) {
            int r = Unistd.setNonBlockingCloexec(cs, fd);
            if (r < 0) {
                Fds.closeQuietly(fd);
                throw Errno.exception("fcntl(O_NONBLOCK)", -r);
            }
        }
        if (Tcp.C.SO_NOSIGPIPE() >= 0) {
            // macOS: a write to a closed peer must return EPIPE, not raise SIGPIPE (no MSG_NOSIGNAL there).
            try {
                Tcp.setIntOption(fd, Tcp.C.SOL_SOCKET(), Tcp.C.SO_NOSIGPIPE(), 1, "setsockopt(SO_NOSIGPIPE)");
            } catch (NativeException e) {
                Fds.closeQuietly(fd);
                throw e;
            }
        }
        return fd;
    }

    /**
     * A listening socket bound at {@code path}, which must not exist yet (EADDRINUSE otherwise).
     * If a step after the bind fails, the socket file the bind made is removed (a file that was
     * there before makes the bind fail, and is left alone).
     */
    public static int listen(Path path, int backlog) throws NativeException {
        int fd = socket();
        Object made = null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = SockAddr.encodeUnix(Tcp.C, sa, path.toString().getBytes(StandardCharsets.UTF_8));
            MemorySegment cs = Native.threadCallState();
            Errno.check("bind " + path, Sockets.bind(cs, fd, sa, len));
            made = fileKey(path);
            Errno.check("listen", Sockets.listen(cs, fd, backlog));
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            if (made != null) removeIfSame(path, made);
            throw e;
        }
    }

    /** The identity (device, inode) of the file at {@code path}, not following a link; null if there is none. */
    public static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Removes the file at {@code path} if it is still the one whose {@link #fileKey} was
     * {@code key} (the socket file this process's bind made): a file someone put there since (a
     * new server on the same path) stays. Quiet: false if nothing was removed or removing failed.
     */
    public static boolean removeIfSame(Path path, Object key) {
        if (key == null || !key.equals(fileKey(path))) return false;
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A new non-blocking, close-on-exec AF_UNIX stream socket, not connected: for an engine that
     * connects it itself (io_uring's IORING_OP_CONNECT, with {@link #encode}).
     */
    public static int connectingSocket() throws NativeException {
        return socket();
    }

    /** Writes {@code path} as a sockaddr_un into {@code out} (at least SockAddr.SIZEOF_STORAGE bytes); returns its length. */
    public static int encode(Path path, MemorySegment out) {
        return SockAddr.encodeUnix(Tcp.C, out, path.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A non-blocking connect to {@code path}. Unix sockets usually connect at once; a full backlog
     * is EAGAIN on Linux (not EINPROGRESS) and is thrown like any other failure.
     */
    public static int connect(Path path) throws NativeException {
        int fd = socket();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = SockAddr.encodeUnix(Tcp.C, sa, path.toString().getBytes(StandardCharsets.UTF_8));
            int r = Sockets.connect(Native.threadCallState(), fd, sa, len);
            if (r < 0 && r != -Errno.EINPROGRESS && r != -Errno.EINTR) {
                throw Errno.exception("connect", -r, "to " + path);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }
}
