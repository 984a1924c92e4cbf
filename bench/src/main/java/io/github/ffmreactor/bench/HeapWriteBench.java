package io.github.ffmreactor.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How {@code Connection.write(byte[])} and {@code write(ByteBuffer)} should reach write(2): copy
 * into a per-loop native scratch segment and call the existing binding, or hand the heap array to a
 * downcall linked with {@code critical(true)} (which may take heap segments). The write goes to a
 * bad fd (EBADF at once, as in {@link FfmCallBench}), so what differs is only the Java side: the
 * copy, the segment wrappers, the adapter. Run with {@code -prof gc} to see what each allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class HeapWriteBench {
    /** syscall(SYS_write, fd, ptr, len) linked to accept heap segments as the pointer. */
    private static final MethodHandle SYSCALL3_HEAP = Links.link("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Native.CAPTURE_ERRNO, Linker.Option.critical(true), Linker.Option.firstVariadicArg(1));
    private static final long SYS_WRITE = "aarch64".equals(Platform.ARCH) ? 64 : 1;

    @Param({"64", "4096"})
    public int size;

    private Arena arena;
    private MemorySegment cs, nativeSrc, scratch;
    private ByteBuffer scratchView, direct;
    private byte[] array;

    @Setup
    public void setup() {
        arena = Arena.ofConfined();
        cs = Native.callState(arena);
        nativeSrc = arena.allocate(size);
        scratch = arena.allocate(64 * 1024, 64);
        scratchView = scratch.asByteBuffer();
        direct = ByteBuffer.allocateDirect(size);
        array = new byte[size + 16];
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** The baseline: a native segment through core's write binding. */
    @Benchmark
    public long nativeSegment() {
        return Unistd.write(cs, -1, nativeSrc, 0, size);
    }

    /** A heap array copied into the loop's native scratch, then the same binding. */
    @Benchmark
    public long heapArrayScratchCopy() {
        MemorySegment.copy(array, 8, scratch, JAVA_BYTE, 0, size);
        return Unistd.write(cs, -1, scratch, 0, size);
    }

    /** A heap array passed as a heap segment to a critical(true) downcall: no copy, two wrappers. */
    @Benchmark
    public long heapArrayCriticalHeapSegment() throws Throwable {
        MemorySegment src = MemorySegment.ofArray(array).asSlice(8, size);
        return (long) SYSCALL3_HEAP.invokeExact(cs, SYS_WRITE, -1L, src, (long) size);
    }

    /** A direct ByteBuffer wrapped as a segment (one wrapper object unless escape analysis drops it). */
    @Benchmark
    public long directBufferOfBuffer() {
        return Unistd.write(cs, -1, MemorySegment.ofBuffer(direct), 0, size);
    }

    /** A direct ByteBuffer copied into the scratch through its ByteBuffer view (absolute bulk put). */
    @Benchmark
    public long directBufferScratchCopy() {
        scratchView.put(0, direct, 0, size);
        return Unistd.write(cs, -1, scratch, 0, size);
    }
}
