package io.github.ffmreactor.loop;

import java.io.EOFException;
import java.lang.foreign.MemorySegment;

/**
 * What a framed connection does with whole frames: the callbacks behind {@link LineHandler} and
 * {@link LengthPrefixedHandler}. All methods run on the loop thread; a method that throws closes
 * the connection, and the loop reports the error, as for a {@link Handler}.
 */
@FunctionalInterface
public interface FrameHandler {
    /**
     * A frame: {@code buf[off, off+len)}. When the frame arrived within one read, {@code buf} is the
     * loop's read buffer (no copy); when it spanned reads, the connection's own assembly buffer.
     * Either way it is valid only during this call, and the handler may overwrite it.
     * {@code last} is false only for the pieces of an over-long line cut by
     * {@link LineHandler.Overlong#SPLIT}: the line goes on in the next frame.
     */
    void onFrame(Connection c, MemorySegment buf, long off, int len, boolean last);

    /** The connection is registered and ready. */
    default void onOpen(Connection c) {}

    /**
     * The peer ended its output inside a frame: {@code buf[off, off+len)} holds every byte received
     * since the last frame (for a length-prefixed frame, its length field included). Nothing of it
     * was delivered. Called before {@link #onInputClosed}. By default the connection is closed
     * with an {@link EOFException} naming the count, which {@link #onClose} receives.
     */
    default void onEndMidFrame(Connection c, MemorySegment buf, long off, int len) {
        c.closeNow(new EOFException("end of stream inside a frame: " + len + " bytes of it received"));
    }

    /** The peer shut down its output after whole frames. By default: flush what is queued, then close. */
    default void onInputClosed(Connection c) {
        c.closeAfterFlush();
    }

    /** All queued output has been written after a write had to wait. */
    default void onDrained(Connection c) {}

    /**
     * The connection closed: {@code cause} is null for an orderly close, else what ended it, such
     * as a {@link java.net.ProtocolException} for a frame over the limit.
     */
    default void onClose(Connection c, Throwable cause) {}
}
