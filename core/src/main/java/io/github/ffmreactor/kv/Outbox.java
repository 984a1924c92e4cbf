package io.github.ffmreactor.kv;

import io.github.ffmreactor.loop.Connection;
import java.lang.foreign.MemorySegment;

/**
 * The one place a connection's replies go out. The session's connection defers its flush
 * ({@link Connection#deferFlush}): the replies of every read in a loop turn are queued and go out
 * in one write(2) or writev(2) before the loop waits, as Redis writes its clients' replies. A long
 * value goes by reference to the stored array ({@link Connection#writeReference}): the loop sends
 * it a part at a time as the peer reads, so twenty peers that GET a 16 MiB value and never read
 * hold no copy of it.
 *
 * <p>A peer whose queued output would pass the client output limit is closed by the loop (its
 * {@code closeAbove}); this counts it.
 */
final class Outbox {
    /** Output queued beyond this (a long value going out) holds later commands until it drains. */
    static final int CHUNK = 256 * 1024;

    private final Connection conn;
    private final Kv.LoopState state;
    private final long limit;

    Outbox(Connection conn, Kv.LoopState state, long limit) {
        this.conn = conn;
        this.state = state;
        this.limit = limit;
        conn.deferFlush(true);
    }

    /** Whether a long value is still going out (later commands wait for it). */
    boolean busy() {
        return conn.pendingOutput() > CHUNK;
    }

    /** Queues {@code buf[0, n)} (copied). False when closed. */
    boolean send(MemorySegment buf, long n) {
        if (n == 0) return conn.isOpen();
        long before = conn.pendingOutput();
        return counted(conn.write(buf, 0, n), before + n);
    }

    /** Sends {@code v} (never changed afterwards) by reference, as fast as the peer reads. */
    void reference(byte[] v) {
        long before = conn.pendingOutput();
        counted(conn.writeReference(MemorySegment.ofArray(v), null), before + v.length);
    }

    /** Sends a big value off the heap by reference: held until the loop has sent it (or dropped it). */
    void reference(BigValue v) {
        long before = conn.pendingOutput();
        counted(conn.writeReference(v.retain().bytes, v), before + v.length());
    }

    /** A write the loop refused with this much output waiting: the peer passed the limit and was closed. */
    private boolean counted(boolean written, long wanted) {
        if (!written && wanted > limit) state.outputLimitCloses++;
        return written;
    }
}
