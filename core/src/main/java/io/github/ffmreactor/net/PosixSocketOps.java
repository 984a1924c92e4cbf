package io.github.ffmreactor.net;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Sockets;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.MemorySegment;

/**
 * POSIX sockets: each method is the {@code Unistd}/{@code Sockets} call it names. Stream I/O is
 * {@code read(2)}/{@code write(2)} (not recv/send), so a pipe end registered on a loop works too.
 */
final class PosixSocketOps implements SocketOps {
    private static final SocketConsts C = SocketConsts.CURRENT;
    private static final String ACCEPT_CALL = Sockets.hasAccept4() ? "accept4" : "accept";

    @Override public String readCall() { return "read"; }
    @Override public String writeCall() { return "write"; }
    @Override public String closeCall() { return "close"; }
    @Override public String acceptCall() { return ACCEPT_CALL; }
    @Override public boolean acceptErrorOfPeer(int errno) { return false; }
    @Override public boolean listenWithReuseAddr() { return true; }

    @Override
    public int socket(MemorySegment cs, int family, int type) throws NativeException {
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

    @Override
    public int accept(MemorySegment cs, int listenFd) {
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

    @Override public int close(MemorySegment cs, int fd) { return Unistd.close(cs, fd); }
    @Override public int bind(MemorySegment cs, int fd, MemorySegment addr, int len) { return Sockets.bind(cs, fd, addr, len); }
    @Override public int listen(MemorySegment cs, int fd, int backlog) { return Sockets.listen(cs, fd, backlog); }
    @Override public int connect(MemorySegment cs, int fd, MemorySegment addr, int len) { return Sockets.connect(cs, fd, addr, len); }

    @Override
    public int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len) {
        return Sockets.setsockopt(cs, fd, level, name, value, len);
    }

    @Override
    public int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        return Sockets.getsockopt(cs, fd, level, name, value, lenInOut);
    }

    @Override public int shutdown(MemorySegment cs, int fd, int how) { return Sockets.shutdown(cs, fd, how); }

    @Override
    public int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Sockets.getsockname(cs, fd, addr, lenInOut);
    }

    @Override
    public int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut) {
        return Sockets.getpeername(cs, fd, addr, lenInOut);
    }

    @Override
    public long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return Unistd.read(cs, fd, buf, off, len);
    }

    @Override
    public long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        return Unistd.write(cs, fd, buf, off, len);
    }

    @Override
    public long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr,
                         MemorySegment lenInOut) {
        return Sockets.recvfrom(cs, fd, buf, off, len, 0, addr, lenInOut);
    }

    @Override
    public long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr, int addrLen) {
        return Sockets.sendto(cs, fd, buf, off, len, 0, addr, addrLen);
    }
}
