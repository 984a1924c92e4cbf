package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * C's {@code malloc} and {@code free}, for large memory that is written before it is read.
 *
 * <p>{@link Arena#allocate} zeroes what it returns: for 16 MiB that is a 16 MiB {@code memset},
 * and on fresh memory the page fault of each of its 4096 pages, all in the call (measured in kv:
 * 20-25 ms in a fresh JVM, the loop stopped meanwhile). A large {@code malloc} maps pages the kernel
 * provides only when first written, so memory filled piece by piece as bytes arrive is paid for
 * piece by piece. The memory's content is undefined until written; callers never read what they
 * have not written.
 */
public final class Malloc {
    private Malloc() {}

    // Not critical: a large malloc may mmap, and free may munmap (short, but they take the
    // process's memory lock, which a critical call should not wait for).
    private static final Fn.LongJ MALLOC = Bind.fn("malloc", JAVA_LONG, JAVA_LONG).linkIf(true, Fn.LongJ.class);
    private static final Fn.VoidJ FREE = Bind.fn("free", null, JAVA_LONG).linkIf(true, Fn.VoidJ.class);

    /**
     * {@code len} bytes (not zeroed) that {@code arena} frees when it closes, or null when malloc
     * fails (no memory; the fault seam's {@link Faults.Call#MALLOC} makes it fail on purpose).
     */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    public static MemorySegment allocate(long len, Arena arena) {
        if (len < 1) throw new IllegalArgumentException("malloc of " + len + " bytes");
        if (Faults.ENABLED && Faults.injected(Faults.Call.MALLOC, Faults.ANY_FD) != 0) return null;
        long a = MALLOC.call(len);
        if (a == 0) return null;
        // The size is the one asked for: malloc returned at least that much.
        return MemorySegment.ofAddress(a).reinterpret(len, arena, s -> FREE.call(s.address()));
    }
}
