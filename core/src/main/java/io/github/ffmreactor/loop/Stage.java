package io.github.ffmreactor.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The loop's native staging buffer: {@code Connection.write(byte[] / ByteBuffer / heap segment)}
 * copies heap bytes here for write(2). Allocated on first use, in the loop's arena. Loop thread only.
 */
final class Stage {
    private final Arena arena;
    private MemorySegment segment;
    private ByteBuffer view;

    Stage(Arena arena) {
        this.arena = arena;
    }

    MemorySegment segment() {
        if (segment == null) {
            segment = arena.allocate(Connection.STAGE_SIZE, 64);
            view = segment.asByteBuffer();
        }
        return segment;
    }

    /** {@link #segment()} as a ByteBuffer, for copying from a ByteBuffer without a wrapper object. */
    ByteBuffer view() {
        segment();
        return view;
    }
}
