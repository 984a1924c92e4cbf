package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.IoUring;
import io.github.ffmreactor.sys.Native;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Each slot's SENDMSG vector (a msghdr and {@link #IOVECS} iovecs), for a connection whose queued
 * output spans chunks: one request sends them all. The vector is made once per slot, the first
 * time a connection in it sends more than one chunk, and reused by every later send and every
 * later connection in the slot: a send only writes its iovecs. A slot is not reused before its
 * channel's last completion, and the slabs never move and are unmapped only with the engine, so a
 * SENDMSG in flight (the closed connection's included) always finds its vector intact. Slabs are
 * mapped anonymously ({@code mmap}), {@link #SLAB_ENTRIES} vectors each. Loop thread only.
 */
final class SendVectors {
    /**
     * Chunks per SENDMSG at most: UIO_FASTIOV, the iovecs the kernel copies in without allocating
     * (8 × 16 KiB = 128 KiB a request; a longer queue takes one more request per 128 KiB).
     */
    static final int IOVECS = 8;
    private static final long BYTES = IoUring.sendVectorBytes(IOVECS);
    /** 64 vectors of 192 bytes: three pages. */
    private static final int SLAB_ENTRIES = 64;

    /**
     * After a slab's mmap failed (memory is short), how long no send asks for another: each ask
     * is a syscall that fails again and an exception, once per reply while the shortage lasts.
     */
    static final long RETRY_AFTER_NANOS = 100_000_000L;

    private MemorySegment[] slabs = new MemorySegment[4];
    private long retryAt;
    private boolean failed;

    /** Whether a vector may be asked for now: false for {@link #RETRY_AFTER_NANOS} after a failed mapping. */
    boolean mayMap() {
        if (!failed) return true;
        if (System.nanoTime() - retryAt < 0) return false;
        failed = false;
        return true;
    }

    /** The last mapping failed: no more asks for a while. */
    void mapFailed() {
        failed = true;
        retryAt = System.nanoTime() + RETRY_AFTER_NANOS;
    }

    /** Slot {@code slot}'s vector, its slab mapped first if need be. */
    MemorySegment of(int slot) throws NativeException {
        int s = slot / SLAB_ENTRIES;
        if (s >= slabs.length) slabs = Arrays.copyOf(slabs, Math.max(s + 1, slabs.length * 2));
        MemorySegment slab = slabs[s];
        if (slab == null) {
            slab = IoUring.mapAnonymousSegment(SLAB_ENTRIES * BYTES, "io_uring SENDMSG vectors");
            for (int i = 0; i < SLAB_ENTRIES; i++) IoUring.initSendVector(slab.asSlice(i * BYTES, BYTES));
            slabs[s] = slab;
        }
        return slab.asSlice((slot % SLAB_ENTRIES) * BYTES, BYTES);
    }

    /** Unmaps every slab; only once no request can read a vector (the engine reaped them all). */
    void close() {
        for (int s = 0; s < slabs.length; s++) {
            if (slabs[s] == null) continue;
            IoUring.munmap(Native.threadCallState(), slabs[s].address(), slabs[s].byteSize());
            slabs[s] = null;
        }
    }
}
