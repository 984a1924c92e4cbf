package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * POSIX fd calls: read, write, close, fcntl, pipe, getpid. Every call returns its C result when
 * it succeeds and {@code -errno} when it fails; the errno travels through the caller's capture
 * segment ({@link Native#callState}), which is allocated once, not per call.
 */
public final class Unistd {
    private Unistd() {}

    public static final int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    /** O_NONBLOCK: 0x800 on Linux, 0x4 on macOS and FreeBSD. */
    public static final int O_NONBLOCK = Platform.CURRENT.isBsdFamily() ? 0x4 : 0x800;

    private static final boolean POSIX = Platform.CURRENT != Platform.WINDOWS;

    // read/write on non-blocking fds and close of a socket never block: critical, with errno.
    // The buffer pointer is passed as a 64-bit integer (same register class as a pointer on every
    // 64-bit ABI) computed from a bounds-checked segment, so writing from an offset needs no slice.
    private static final MethodHandle READ = POSIX ? Native.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CAPTURE_ERRNO, Native.CRITICAL) : null;
    private static final MethodHandle WRITE = POSIX ? Native.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CAPTURE_ERRNO, Native.CRITICAL) : null;

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
    }

    private static final MethodHandle SYSCALL3 = SYS_READ >= 0 ? Native.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Native.CAPTURE_ERRNO, Native.CRITICAL, Linker.Option.firstVariadicArg(1)) : null;
    private static final MethodHandle CLOSE = POSIX ? Native.downcall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO) : null;
    private static final MethodHandle FCNTL = POSIX ? Native.downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Native.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2)) : null;
    private static final MethodHandle PIPE = POSIX ? Native.downcall("pipe",
            FunctionDescriptor.of(JAVA_INT, ADDRESS), Native.CAPTURE_ERRNO) : null;
    private static final MethodHandle GETPID = POSIX ? Native.downcall("getpid",
            FunctionDescriptor.of(JAVA_INT)) : null;
    private static final MethodHandle GETPID_CRITICAL = POSIX ? Native.downcall("getpid",
            FunctionDescriptor.of(JAVA_INT), Native.CRITICAL) : null;

    /** read(2) into {@code buf[off, off+len)}: bytes read, 0 at end of stream, or -errno. */
    public static long read(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (Faults.ENABLED) {
            long f = Faults.check(Faults.Call.READ, fd, len);
            if (f < 0) return f;
            len = f;
        }
        long addr = address(buf, off, len);
        try {
            long r = SYSCALL3 != null
                    ? (long) SYSCALL3.invokeExact(cs, SYS_READ, (long) fd, addr, len)
                    : (long) READ.invokeExact(cs, fd, addr, len);
            return r < 0 ? -Native.errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) from {@code buf[off, off+len)}: bytes written or -errno. */
    public static long write(MemorySegment cs, int fd, MemorySegment buf, long off, long len) {
        if (Faults.ENABLED) {
            long f = Faults.check(Faults.Call.WRITE, fd, len);
            if (f < 0) return f;
            len = f;
        }
        long addr = address(buf, off, len);
        try {
            long r = SYSCALL3 != null
                    ? (long) SYSCALL3.invokeExact(cs, SYS_WRITE, (long) fd, addr, len)
                    : (long) WRITE.invokeExact(cs, fd, addr, len);
            return r < 0 ? -Native.errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** close(2): 0 or -errno. The caller must never close the same number twice. */
    public static int close(MemorySegment cs, int fd) {
        try {
            int r = (int) CLOSE.invokeExact(cs, fd);
            return r < 0 ? -Native.errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** fcntl(2) with an int argument: the result or -errno. */
    public static int fcntl(MemorySegment cs, int fd, int cmd, int arg) {
        try {
            int r = (int) FCNTL.invokeExact(cs, fd, cmd, arg);
            return r < 0 ? -Native.errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pipe(2) into {@code fds} (two ints): 0 or -errno. */
    public static int pipe(MemorySegment cs, MemorySegment fds) {
        try {
            int r = (int) PIPE.invokeExact(cs, fds);
            return r < 0 ? -Native.errno(cs) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpid(2), the cheapest libc call there is: the baseline of the FFM overhead benchmark. */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpid(2) through a critical downcall. */
    public static int getpidCritical() {
        try {
            return (int) GETPID_CRITICAL.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
        java.util.Objects.checkFromIndexSize(off, len, buf.byteSize());
        if (!buf.isNative()) throw new IllegalArgumentException("not a native segment: " + buf);
        if (!buf.scope().isAlive()) throw new IllegalStateException("segment's arena is closed");
        return buf.address() + off;
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) return re;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
