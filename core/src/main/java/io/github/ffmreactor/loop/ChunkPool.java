package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.IoUring;
import io.github.ffmreactor.sys.Native;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Native chunks of {@link #CHUNK} bytes, lent to the completion engine's connections for the output
 * they queue and the input they hold while paused, and given back when that queue drains: an idle
 * connection holds none. Chunks come from slabs of {@link #SLAB_CHUNKS} mapped anonymously
 * ({@code mmap}, not malloc), taken lowest slab first, so that after a burst the high slabs empty
 * out and {@link #trim} can unmap them: the memory goes back to the system, which freed malloc
 * memory in the middle of a thread's heap does not (native-notes/io_uring.md, "Memory per
 * connection"). Taking and giving back allocate nothing. Loop thread only.
 */
final class ChunkPool implements AutoCloseable {
    /** Bytes per chunk: a provided buffer's size, so one received buffer echoed fits one chunk. */
    static final int CHUNK = 16 * 1024;
    static final int SLAB_CHUNKS = 64;
    static final long SLAB_BYTES = (long) CHUNK * SLAB_CHUNKS;

    /** Per slab: its mapping (null: unmapped), how many of its chunks are free, their indexes. */
    private MemorySegment[] slabs = new MemorySegment[4];
    private int[] free = new int[4];
    private int[] stacks = new int[4 * SLAB_CHUNKS];
    /** Per chunk id (slab * SLAB_CHUNKS + index): its slice, set while its slab is mapped. */
    private MemorySegment[] chunks = new MemorySegment[4 * SLAB_CHUNKS];
    private int slabCount;
    /** No slab below this one has a free chunk. */
    private int low;
    private int lent, mapped, peakLent;
    private long maps, unmaps;

    /** A chunk's id; its memory is {@link #chunk(int)} until {@link #give} returns it. */
    int take() throws NativeException {
        while (low < slabCount && free[low] == 0) low++;
        if (low == slabCount) map(firstUnmapped());
        int s = low;
        int id = s * SLAB_CHUNKS + stacks[s * SLAB_CHUNKS + --free[s]];
        if (++lent > peakLent) peakLent = lent;
        return id;
    }

    /** Gives a chunk back: nothing (the kernel included) may touch its memory any more. */
    void give(int id) {
        int s = id / SLAB_CHUNKS;
        stacks[s * SLAB_CHUNKS + free[s]++] = id % SLAB_CHUNKS;
        lent--;
        if (s < low) low = s;
    }

    MemorySegment chunk(int id) {
        return chunks[id];
    }

    private int firstUnmapped() {
        for (int s = 0; s < slabCount; s++) if (slabs[s] == null) return s;
        return slabCount;
    }

    private void map(int s) throws NativeException {
        MemorySegment slab = IoUring.mapAnonymousSegment(SLAB_BYTES, "io_uring output/input chunks");
        if (s == slabs.length) {
            slabs = Arrays.copyOf(slabs, s * 2);
            free = Arrays.copyOf(free, s * 2);
            stacks = Arrays.copyOf(stacks, s * 2 * SLAB_CHUNKS);
            chunks = Arrays.copyOf(chunks, s * 2 * SLAB_CHUNKS);
        }
        slabs[s] = slab;
        for (int i = 0; i < SLAB_CHUNKS; i++) {
            chunks[s * SLAB_CHUNKS + i] = slab.asSlice((long) i * CHUNK, CHUNK);
            stacks[s * SLAB_CHUNKS + i] = SLAB_CHUNKS - 1 - i; // chunk 0 on top: the lowest addresses first
        }
        free[s] = SLAB_CHUNKS;
        if (s == slabCount) slabCount++;
        if (s < low) low = s;
        mapped++;
        maps++;
    }

    /**
     * Unmaps every slab but the first whose chunks are all free: what a burst needed goes back to the
     * system once it is over. Returns whether slabs past the first are still mapped.
     */
    boolean trim() {
        for (int s = 1; s < slabCount; s++) {
            if (slabs[s] != null && free[s] == SLAB_CHUNKS) unmap(s);
        }
        while (slabCount > 1 && slabs[slabCount - 1] == null) slabCount--;
        if (low > slabCount) low = slabCount;
        return mapped > 1;
    }

    private void unmap(int s) {
        IoUring.munmap(Native.threadCallState(), slabs[s].address(), SLAB_BYTES);
        slabs[s] = null;
        free[s] = 0;
        Arrays.fill(chunks, s * SLAB_CHUNKS, (s + 1) * SLAB_CHUNKS, null);
        mapped--;
        unmaps++;
    }

    /** Chunks lent now. */
    int lent() {
        return lent;
    }

    /** The most chunks lent at once so far. */
    int peakLent() {
        return peakLent;
    }

    /** Bytes mapped now. */
    long mappedBytes() {
        return mapped * SLAB_BYTES;
    }

    /** Slabs mapped and unmapped so far. */
    long maps() {
        return maps;
    }

    long unmaps() {
        return unmaps;
    }

    /** Unmaps every slab; only once nothing (the kernel included) can touch a chunk. */
    @Override
    public void close() {
        for (int s = 0; s < slabCount; s++) if (slabs[s] != null) unmap(s);
        slabCount = 0;
        low = 0;
    }
}
