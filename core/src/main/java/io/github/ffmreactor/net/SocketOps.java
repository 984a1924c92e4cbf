package io.github.ffmreactor.net;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.MemorySegment;

/**
 * The socket calls of one OS family: {@link PosixSocketOps} (fds, libc) or {@link WinsockSocketOps}
 * (SOCKET handles carried as int fds, ws2_32). {@link SocketIo} picks one into a {@code static final}
 * at class initialisation; C2 then knows the exact class at every call site and inlines the
 * implementation, so the indirection costs nothing on the hot path. Nothing outside {@code net}
 * and {@code sys} asks which OS it runs on: what differs is answered here (call names for error
 * messages, which accept errors belong to the pending connection, whether SO_REUSEADDR is safe).
 *
 * <p>Every call returns its result or {@code -errno}, with Winsock's errors already mapped to the
 * POSIX meaning the loop expects (see {@link SocketIo}).
 */
sealed interface SocketOps permits PosixSocketOps, WinsockSocketOps {
    /** The name of the stream read call, for error messages: read, or recv. */
    String readCall();

    /** The name of the stream write call, for error messages: write, or send. */
    String writeCall();

    /** The name of the close call, for error messages: close, or closesocket. */
    String closeCall();

    /** The name of the accept call, for error messages: accept4, or accept. */
    String acceptCall();

    /** Whether an accept error with this errno concerns only the pending connection, on this OS beyond the common ones. */
    boolean acceptErrorOfPeer(int errno);

    /** Whether a listening socket should set SO_REUSEADDR (POSIX: to rebind over TIME_WAIT; Windows: no, it allows port stealing). */
    boolean listenWithReuseAddr();

    int socket(MemorySegment cs, int family, int type) throws NativeException;

    int accept(MemorySegment cs, int listenFd);

    int close(MemorySegment cs, int fd);

    int bind(MemorySegment cs, int fd, MemorySegment addr, int len);

    int listen(MemorySegment cs, int fd, int backlog);

    int connect(MemorySegment cs, int fd, MemorySegment addr, int len);

    int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, int len);

    int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment value, MemorySegment lenInOut);

    int shutdown(MemorySegment cs, int fd, int how);

    int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut);

    int getpeername(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenInOut);

    long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len);

    long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len);

    long recvfrom(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr, MemorySegment lenInOut);

    long sendto(MemorySegment cs, int fd, MemorySegment buf, long off, long len, MemorySegment addr, int addrLen);
}
