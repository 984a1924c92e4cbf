package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Objects;

/**
 * POSIX fd calls: read, write, writev, close, fcntl, pipe, getpid. Every call returns its C result when
 * it succeeds and {@code -errno} when it fails; the errno travels through the caller's capture
 * segment ({@link Native#callState}), which is allocated once, not per call.
 */
public final class Unistd {
    private Unistd() {}

    public static final int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    /** O_NONBLOCK: 0x800 on Linux, 0x4 on macOS and FreeBSD. */
    public static final int O_NONBLOCK = Platform.CURRENT.isBsdFamily() ? 0x4 : 0x800;

    private static final boolean POSIX = Platform.CURRENT != Platform.WINDOWS;

    /** {@code struct iovec}: base pointer, length; 16 bytes on every 64-bit ABI (void *, size_t). */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    public static final long IOV_BASE = IOVEC.byteOffset(MemoryLayout.PathElement.groupElement("iov_base"));
    public static final long IOV_LEN = IOVEC.byteOffset(MemoryLayout.PathElement.groupElement("iov_len"));
    /**
     * IOV_MAX: the most iovecs one writev(2) takes (more fails with EINVAL). 1024 on Linux
     * ({@code UIO_MAXIOV}), macOS and FreeBSD alike.
     */
    public static final int IOV_MAX = 1024;

    // read/write on non-blocking fds and close of a socket never block: critical, with errno.
    // The buffer pointer is passed as a 64-bit integer (same register class as a pointer on every
    // 64-bit ABI) computed from a bounds-checked segment, so writing from an offset needs no slice.
    private static final Fn.LongCIJJ READ = Bind.fn("read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG)
            .errno().critical().linkIf(POSIX, Fn.LongCIJJ.class);
    private static final Fn.LongCIJJ WRITE = Bind.fn("write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG)
            .errno().critical().linkIf(POSIX, Fn.LongCIJJ.class);

    // On Linux the hot read/write go through syscall(2) instead. glibc's read() and write() are
    // pthread cancellation points: in a multi-threaded process (every JVM) each one brackets the
    // system call with __pthread_enable_asynccancel/__pthread_disable_asynccancel, which perf showed
    // as ~19 % of an echo server's user time; syscall(2) is not a cancellation point, and the JVM
    // never cancels a thread. Measured ~10-20 ns less per call (FfmCallBench; native-notes/bench-results.md).
    // Every argument is passed as a long: syscall(2) reads its variadic arguments as longs.
    /** The read and write system call numbers of this Linux arch, or -1 where not known. */
    static final long SYS_READ, SYS_WRITE;

    static {
        boolean linux = Platform.CURRENT == Platform.LINUX;
        SYS_READ = !linux ? -1 : Platform.ARCH.equals("x86_64") ? 0 : Platform.ARCH.equals("aarch64") ? 63 : -1;
        SYS_WRITE = !linux ? -1 : Platform.ARCH.equals("x86_64") ? 1 : Platform.ARCH.equals("aarch64") ? 64 : -1;
        SYS_WRITEV = !linux ? -1 : Platform.ARCH.equals("x86_64") ? 20 : Platform.ARCH.equals("aarch64") ? 66 : -1;
    }

    /** The writev system call number of this Linux arch, or -1 where not known (then libc's writev). */
    static final long SYS_WRITEV;

    // syscall(nr, fd, addr, len): one handle per direction, each with its own fault rule.
    private static final Fn.LongCJJJJ SYSCALL_READ = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .errno().critical().variadicFrom(1).linkIf(SYS_READ >= 0, Fn.LongCJJJJ.class);
    private static final Fn.LongCJJJJ SYSCALL_WRITE = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .errno().critical().variadicFrom(1).linkIf(SYS_WRITE >= 0, Fn.LongCJJJJ.class);
    // write(2) without errno capture, taken first. A captureCallState handle slices its capture
    // segment on every call, a 40 B allocation wherever C2 does not inline the whole adapter into
    // the caller (kv's reply path, deep in a handler, hit it). Only a failed write needs errno, so
    // a write that returns -1 is made once more, with capture, and that answer stands: on a
    // non-blocking socket the second write is as valid as the first (if the socket became
    // writable meanwhile, it writes, and says so), and a peer that is gone fails it again
    // (ECONNRESET the first time becomes EPIPE the second: both mean the peer is gone). read is not
    // so simple: a reset read once reads as end of stream the second time, so read() captures from
    // the first call, and readPlainFirst, for readiness without an error, says what it gives up.
    private static final Fn.LongJJJJ SYSCALL_WRITE_PLAIN = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .critical().variadicFrom(1).linkIf(SYS_WRITE >= 0, Fn.LongJJJJ.class);
    // read(2) without errno capture, for readPlainFirst: the same reason as write's, and the path
    // that still sliced a capture segment per read wherever C2 did not inline the whole adapter.
    private static final Fn.LongJJJJ SYSCALL_READ_PLAIN = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .critical().variadicFrom(1).linkIf(SYS_READ >= 0, Fn.LongJJJJ.class);
    // writev as write: through syscall(2) on Linux (not a cancellation point), the call that
    // succeeds captured nothing, a failed one asked again with capture (native-notes/ffm.md).
    private static final Fn.LongCIJJ WRITEV = Bind.fn("writev", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG)
            .errno().critical().linkIf(POSIX, Fn.LongCIJJ.class);
    private static final Fn.LongCJJJJ SYSCALL_WRITEV = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .errno().critical().variadicFrom(1).linkIf(SYS_WRITEV >= 0, Fn.LongCJJJJ.class);
    private static final Fn.LongJJJJ SYSCALL_WRITEV_PLAIN = Bind.fn("syscall", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .critical().variadicFrom(1).linkIf(SYS_WRITEV >= 0, Fn.LongJJJJ.class);
    private static final Fn.IntCI CLOSE = Bind.fn("close", JAVA_INT, JAVA_INT).errno().linkIf(POSIX, Fn.IntCI.class);
    private static final Fn.IntCIII FCNTL = Bind.fn("fcntl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT)
            .errno().variadicFrom(2).linkIf(POSIX, Fn.IntCIII.class);
    private static final Fn.IntCA PIPE = Bind.fn("pipe", JAVA_INT, ADDRESS).errno().linkIf(POSIX, Fn.IntCA.class);
    private static final Fn.IntV GETPID = Bind.fn("getpid", JAVA_INT).linkIf(POSIX, Fn.IntV.class);
    private static final Fn.IntV GETPID_CRITICAL = Bind.fn("getpid", JAVA_INT).critical().linkIf(POSIX, Fn.IntV.class);

    /** read(2) into {@code buf[off, off+len)}: bytes read, 0 at end of stream, or -errno. */
    public static long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (Faults.ENABLED) {
            long f = Faults.check(Faults.Call.READ, fd, len);
            if (f < 0) return f;
            len = f;
        }
        long addr = address(buf, off, len);
        return SYSCALL_READ != null
                ? Bind.ret(cs, SYSCALL_READ.call(cs, SYS_READ, fd, addr, len))
                : Bind.ret(cs, READ.call(cs, fd, addr, len));
    }

    /**
     * read(2) as {@link #read}, but the call that succeeds captures no errno: it goes through a
     * handle without {@code captureCallState}, and only a read that returns -1 is made once more,
     * through the capturing one, whose answer stands. A capturing downcall slices its capture
     * segment on every call (40 B) unless C2 inlines the JDK's whole adapter into the compiled
     * caller, which it does not always do on a loop thread (native-notes/ffm.md "A read is taken
     * without errno first").
     *
     * <p>Exact for every errno that the first read leaves in place (EAGAIN, EBADF, EINVAL, ...).
     * A socket error (a reset) is the exception: the first read consumes it, and the second then
     * reads end of stream, so this returns 0. Use it where readiness reported no error (a reset
     * known at the wait is read with {@link #read}); a reset arriving between the wait and the
     * read is then reported as end of stream, followed by a hang-up, which closes all the same.
     * Where syscall(2) is not used (not Linux x86_64/aarch64), this is {@link #read}. A
     * {@link Faults} rule fires as in {@link #read}.
     */
    public static long readPlainFirst(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (SYSCALL_READ_PLAIN == null) return read(cs, fd, buf, off, len);
        if (Faults.ENABLED) {
            long f = Faults.check(Faults.Call.READ, fd, len);
            if (f < 0) return f;
            len = f;
        }
        long addr = address(buf, off, len);
        long r = SYSCALL_READ_PLAIN.call(SYS_READ, fd, addr, len);
        return r >= 0 ? r : Bind.ret(cs, SYSCALL_READ.call(cs, SYS_READ, fd, addr, len));
    }

    /** write(2) from {@code buf[off, off+len)}: bytes written or -errno. */
    public static long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (Faults.ENABLED) {
            long f = Faults.check(Faults.Call.WRITE, fd, len);
            if (f < 0) return f;
            len = f;
        }
        long addr = address(buf, off, len);
        if (SYSCALL_WRITE_PLAIN != null) {
            long r = SYSCALL_WRITE_PLAIN.call(SYS_WRITE, fd, addr, len);
            return r >= 0 ? r : Bind.ret(cs, SYSCALL_WRITE.call(cs, SYS_WRITE, fd, addr, len));
        }
        return SYSCALL_WRITE != null
                ? Bind.ret(cs, SYSCALL_WRITE.call(cs, SYS_WRITE, fd, addr, len))
                : Bind.ret(cs, WRITE.call(cs, fd, addr, len));
    }

    /**
     * writev(2) of the first {@code count} iovecs of {@code iov} ({@link #IOVEC} each, at most
     * {@link #IOV_MAX}): bytes written or -errno, EAGAIN included, as {@link #write}. The fault
     * seam's {@link Faults.Call#WRITEV} rules fail it (or shorten it: the kernel then takes at
     * most that many bytes of the first iovec only).
     */
    public static long writev(MemorySegment cs, int fd, MemorySegment iov, int count) {
        if (count < 1 || count > IOV_MAX || (long) count * IOVEC.byteSize() > iov.byteSize()) {
            throw new IllegalArgumentException("writev of " + count + " iovecs in " + iov.byteSize() + " bytes");
        }
        long addr = address(iov, 0, count * IOVEC.byteSize());
        if (Faults.ENABLED) {
            long first = iov.get(JAVA_LONG, IOV_LEN);
            long f = Faults.check(Faults.Call.WRITEV, fd, first);
            if (f < 0) return f;
            if (f < first) {
                // A short writev made on purpose: the kernel really takes only f bytes of the first iovec.
                iov.set(JAVA_LONG, IOV_LEN, f);
                try {
                    return writevNow(cs, fd, addr, 1);
                } finally {
                    iov.set(JAVA_LONG, IOV_LEN, first);
                }
            }
        }
        return writevNow(cs, fd, addr, count);
    }

    private static long writevNow(MemorySegment cs, int fd, long addr, int count) {
        if (SYSCALL_WRITEV_PLAIN != null) {
            long r = SYSCALL_WRITEV_PLAIN.call(SYS_WRITEV, fd, addr, count);
            return r >= 0 ? r : Bind.ret(cs, SYSCALL_WRITEV.call(cs, SYS_WRITEV, fd, addr, count));
        }
        return Bind.ret(cs, WRITEV.call(cs, fd, addr, count));
    }

    /** close(2): 0 or -errno. The caller must never close the same number twice. */
    public static int close(MemorySegment cs, int fd) {
        return Bind.ret(cs, CLOSE.call(cs, fd));
    }

    /** fcntl(2) with an int argument: the result or -errno. */
    public static int fcntl(MemorySegment cs, int fd, int cmd, int arg) {
        return Bind.ret(cs, FCNTL.call(cs, fd, cmd, arg));
    }

    /** pipe(2) into {@code fds} (two ints): 0 or -errno. */
    public static int pipe(MemorySegment cs, MemorySegment fds) {
        return Bind.ret(cs, PIPE.call(cs, fds));
    }

    /** getpid(2), the cheapest libc call there is: the baseline of the FFM overhead benchmark. */
    public static int getpid() {
        return GETPID.call();
    }

    /** getpid(2) through a critical downcall. */
    public static int getpidCritical() {
        return GETPID_CRITICAL.call();
    }

    /** Sets O_NONBLOCK and FD_CLOEXEC on {@code fd}, for OSes without SOCK_NONBLOCK/SOCK_CLOEXEC. */
    public static int setNonBlockingCloexec(MemorySegment cs, int fd) {
        int fl = fcntl(cs, fd, F_GETFL, 0);
        if (fl < 0) return fl;
        int r = fcntl(cs, fd, F_SETFL, fl | O_NONBLOCK);
        if (r < 0) return r;
        return fcntl(cs, fd, F_SETFD, FD_CLOEXEC);
    }

    /**
     * The native address of {@code buf[off, off+len)}, after the checks a segment access would do:
     * bounds, a native (not heap) segment, and a live arena.
     */
    public static long address(MemorySegment buf, long off, long len) {
        Objects.checkFromIndexSize(off, len, buf.byteSize());
        if (!buf.isNative()) throw new IllegalArgumentException("not a native segment: " + buf);
        if (!buf.scope().isAlive()) throw new IllegalStateException("segment's arena is closed");
        return buf.address() + off;
    }
}
