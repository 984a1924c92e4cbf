package io.github.ffmreactor.kv;

import io.github.ffmreactor.loop.Connection;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

/**
 * The one place a connection's replies go out. Gathered replies are written to the connection
 * (the loop copies what the kernel does not take); a long value is held by reference to the
 * stored array and written a chunk at a time as the peer reads ({@link #pump} on each drain), so
 * twenty peers that GET a 16 MiB value and never read hold a chunk each, not sixteen MiB each.
 * Replies gathered while a value is still going out queue behind it (copied: they are short).
 *
 * <p>This is where a loop-level deferred flush (one gathered write per connection per turn) or a
 * "write this segment by reference, release it when sent" call would plug in: {@link #send} and
 * {@link #reference} are the only writes kv makes.
 *
 * <p>A peer whose queued output would pass the client output limit is closed by the loop (its
 * {@code closeAbove}); this counts it.
 */
final class Outbox {
    /** Bytes of a by-reference value offered to the connection per write. */
    static final int CHUNK = 256 * 1024;

    private final Connection conn;
    private final Kv.LoopState state;
    private final long limit;
    private final ArrayDeque<byte[]> pieces = new ArrayDeque<>();
    private int headOffset;

    Outbox(Connection conn, Kv.LoopState state, long limit) {
        this.conn = conn;
        this.state = state;
        this.limit = limit;
    }

    /** Whether a value is still going out (later commands wait for it). */
    boolean busy() {
        return !pieces.isEmpty();
    }

    /** Writes {@code buf[0, n)}, or queues a copy behind a value still going out. False when closed. */
    boolean send(MemorySegment buf, long n) {
        if (n == 0) return conn.isOpen();
        if (pieces.isEmpty()) return write(buf, n);
        byte[] copy = new byte[(int) n];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, copy, 0, (int) n);
        pieces.add(copy);
        return conn.isOpen();
    }

    /** Sends {@code v} (never changed afterwards) by reference, as fast as the peer reads. */
    void reference(byte[] v) {
        pieces.add(v);
        pump();
    }

    /** Offers the next chunks while the connection has nothing queued: call when its output drained. */
    void pump() {
        while (!pieces.isEmpty() && conn.pendingOutput() == 0) {
            if (!conn.isOpen() || conn.isClosing()) {
                pieces.clear();
                return;
            }
            byte[] head = pieces.peek();
            int n = Math.min(CHUNK, head.length - headOffset);
            if (!write(head, headOffset, n)) {
                pieces.clear();
                return;
            }
            headOffset += n;
            if (headOffset == head.length) {
                pieces.poll();
                headOffset = 0;
            }
        }
    }

    private boolean write(MemorySegment buf, long n) {
        long before = conn.pendingOutput();
        return counted(conn.write(buf, 0, n), before + n);
    }

    private boolean write(byte[] a, int off, int n) {
        long before = conn.pendingOutput();
        return counted(conn.write(a, off, n), before + n);
    }

    /** A write the loop refused with this much output waiting: the peer passed the limit and was closed. */
    private boolean counted(boolean written, long wanted) {
        if (!written && wanted > limit) state.outputLimitCloses++;
        return written;
    }
}
