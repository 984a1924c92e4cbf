package io.github.ffmreactor.loop;

import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The loop's native staging buffer: {@code Connection.write(byte[] / ByteBuffer / heap segment)}
 * copies heap bytes here for write(2), and a heap segment written by reference is sent from here
 * a part at a time; and the iovec array of a connection's gathered writev(2). Each allocated on
 * first use, in the loop's arena. Loop thread only.
 */
final class Stage {
    /** Bytes of heap input copied to the stage per write(2). */
    static final int SIZE = 64 * 1024;

    private final Arena arena;
    private MemorySegment segment;
    private ByteBuffer view;
    private MemorySegment iovecs;

    Stage(Arena arena) {
        this.arena = arena;
    }

    MemorySegment segment() {
        if (segment == null) {
            segment = arena.allocate(SIZE, 64);
            view = segment.asByteBuffer();
        }
        return segment;
    }

    /** Room for IOV_MAX iovecs (16 KiB): one gathered write's list. */
    MemorySegment iovecs() {
        if (iovecs == null) iovecs = arena.allocate(Unistd.IOVEC.byteSize() * Unistd.IOV_MAX, 8);
        return iovecs;
    }

    /**
     * Writes heap bytes ({@code array}, or else the heap segment {@code seg}) to {@code c} in
     * stage-sized chunks: write(2) needs a native address, and linking a heap-capable downcall
     * would put a segment argument back on the hot path (native-notes/ffm.md). Each chunk then
     * takes the native path, which queues what the kernel leaves.
     */
    boolean write(Connection c, byte[] array, MemorySegment seg, long off, long len) {
        if (seg != null) Objects.checkFromIndexSize(off, len, seg.byteSize());
        MemorySegment stage = segment();
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(len - done, SIZE);
            if (array != null) {
                MemorySegment.copy(array, (int) (off + done), stage, ValueLayout.JAVA_BYTE, 0, n);
            } else {
                MemorySegment.copy(seg, off + done, stage, 0, n);
            }
            if (!c.writeOnLoop(stage, 0, n)) return false;
            done += n;
        }
        return true;
    }

    /** Writes a direct (or read-only) buffer's {@code [pos, end)} to {@code c} through the stage. */
    boolean write(Connection c, ByteBuffer src, int pos, int end) {
        MemorySegment stage = segment();
        for (int p = pos; p < end; ) {
            int n = Math.min(end - p, SIZE);
            view.put(0, src, p, n);
            if (!c.writeOnLoop(stage, 0, n)) return false;
            p += n;
        }
        return true;
    }
}
