package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;

/**
 * What a connection does with its bytes. All methods run on the loop thread. A handler that throws
 * closes its own connection, and the loop reports the error and goes on.
 */
public interface Handler {
    /** The connection is registered and ready. */
    default void onOpen(Connection c) {}

    /**
     * Bytes arrived: {@code buf[0, len)}. {@code buf} is the loop's shared read buffer and is valid
     * only during this call; copy what must outlive it. {@link Connection#write} copies as needed.
     */
    void onData(Connection c, MemorySegment buf, int len);

    /** The peer shut down its output (end of stream). By default: flush what is queued, then close. */
    default void onInputClosed(Connection c) {
        c.closeAfterFlush();
    }

    /** All queued output has been written after a write had to wait (back-pressure relieved). */
    default void onDrained(Connection c) {}

    /** The connection closed. {@code cause} is null for an orderly close, else what ended it. */
    default void onClose(Connection c, Throwable cause) {}
}
