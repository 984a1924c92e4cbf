package io.github.ffmreactor.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a downcall itself costs: getpid (the cheapest real syscall) plain and critical; read(2) on
 * a bad fd (fails at once with EBADF, so this is the call plus the errno path) with errno capture,
 * with capture and critical, critical without capture, and through syscall(2) as core does on Linux; epoll_wait with timeout 0 and nothing
 * ready, through the core binding (critical for timeout 0) and through a plain handle. Compare
 * with the C loop's ns per getpid the report prints beside these ({@code c/getpid_loop.c}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class FfmCallBench {
    private static final MethodHandle READ_CAPTURE = Links.link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CAPTURE_ERRNO);
    private static final MethodHandle READ_CAPTURE_CRITICAL = Links.link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CAPTURE_ERRNO, Native.CRITICAL);
    private static final MethodHandle READ_CRITICAL = Links.link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), Native.CRITICAL);
    /** syscall(SYS_read, ...) (x86_64: 0): what core's Unistd.read uses on Linux, no cancellation wrapper. */
    private static final MethodHandle SYSCALL3 = Links.link("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Native.CAPTURE_ERRNO, Native.CRITICAL, Linker.Option.firstVariadicArg(1));
    private static final long SYS_READ = "aarch64".equals(Platform.ARCH) ? 63 : 0;
    private static final MethodHandle EPOLL_WAIT_PLAIN = Links.link("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO);

    private Arena arena;
    private MemorySegment cs, buf, events;
    private int epfd;

    @Setup
    public void setup() {
        arena = Arena.ofConfined();
        cs = Native.callState(arena);
        buf = arena.allocate(64);
        events = arena.allocate(Epoll.EVENT_SIZE * 64);
        epfd = Epoll.create1(cs, Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) throw new IllegalStateException("epoll_create1: " + epfd);
    }

    @TearDown
    public void tearDown() {
        Unistd.close(cs, epfd);
        arena.close();
    }

    @Benchmark
    public int getpid() {
        return Unistd.getpid();
    }

    @Benchmark
    public int getpidCritical() {
        return Unistd.getpidCritical();
    }

    /** read(-1, ...) = EBADF, errno captured: the shape of every fallible binding. */
    @Benchmark
    public long readBadFdCapture() throws Throwable {
        return (long) READ_CAPTURE.invokeExact(cs, -1, buf.address(), 1L);
    }

    /** The same, critical: how core binds read/write. */
    @Benchmark
    public long readBadFdCaptureCritical() throws Throwable {
        return (long) READ_CAPTURE_CRITICAL.invokeExact(cs, -1, buf.address(), 1L);
    }

    /** Critical without errno capture: what capture costs by itself. */
    @Benchmark
    public long readBadFdCritical() throws Throwable {
        return (long) READ_CRITICAL.invokeExact(-1, buf.address(), 1L);
    }

    /** The same through syscall(2): skips glibc's cancellation-point bracketing of read(). */
    @Benchmark
    public long readBadFdSyscallCaptureCritical() throws Throwable {
        return (long) SYSCALL3.invokeExact(cs, SYS_READ, -1L, buf.address(), 1L);
    }

    /** The core binding: bounds checks, the syscall(2) path on Linux, errno decoding. */
    @Benchmark
    public long coreUnistdReadBadFd() {
        return Unistd.read(cs, -1, buf, 0, 1);
    }

    /** epoll_wait(timeout 0), nothing ready, through core's binding (critical for timeout 0). */
    @Benchmark
    public int epollWaitNowCore() {
        return Epoll.wait(cs, epfd, events, 64, 0);
    }

    /** The same through a plain (non-critical) handle. */
    @Benchmark
    public int epollWaitNowPlain() throws Throwable {
        return (int) EPOLL_WAIT_PLAIN.invokeExact(cs, epfd, events, 64, 0);
    }
}
