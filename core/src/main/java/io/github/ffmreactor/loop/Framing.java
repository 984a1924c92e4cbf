package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * What both framing handlers share: the {@link FrameHandler} they feed, and the per-connection
 * assembly buffer for a frame that spans reads. The buffer is a heap array (no arena to close with
 * the connection), grown by doubling only when a spanning frame needs it, never past the frame
 * limit, and then reused; frames that arrive whole never touch it.
 */
abstract sealed class Framing implements Handler permits LineHandler, LengthPrefixedHandler {
    final FrameHandler frames;
    private final int capacityLimit;
    private byte[] asm = new byte[0];
    /** {@code asm} as a segment, made again only when the array grows. */
    MemorySegment asmSeg = MemorySegment.ofArray(asm);
    /** Bytes of the unfinished frame held in {@code asm}. */
    int asmLen;

    Framing(FrameHandler frames, int capacityLimit) {
        this.frames = Objects.requireNonNull(frames, "frames");
        this.capacityLimit = capacityLimit;
    }

    /** Appends {@code buf[off, off+n)} to the assembly buffer (the caller keeps within the limit). */
    final void hold(MemorySegment buf, long off, int n) {
        int need = asmLen + n;
        if (need > asm.length) {
            int cap = (int) Math.min(capacityLimit, Math.max(256, Long.highestOneBit(need - 1L) << 1));
            asm = Arrays.copyOf(asm, cap);
            asmSeg = MemorySegment.ofArray(asm);
        }
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, off, asm, asmLen, n);
        asmLen = need;
    }

    @Override
    public final void onOpen(Connection c) {
        frames.onOpen(c);
    }

    @Override
    public final void onInputClosed(Connection c) {
        int n = asmLen;
        if (n > 0) {
            asmLen = 0;
            frames.onEndMidFrame(c, asmSeg, 0, n);
        }
        if (c.isOpen()) frames.onInputClosed(c);
    }

    @Override
    public final void onDrained(Connection c) {
        frames.onDrained(c);
    }

    @Override
    public final void onClose(Connection c, Throwable cause) {
        frames.onClose(c, cause);
    }

    /** Bytes held for an unfinished frame (for tests and for an embedder's curiosity). */
    public final int heldBytes() {
        return asmLen;
    }
}
