package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A readiness connection's queued output: copied bytes in one native buffer,
 * {@code out[outStart, outEnd)}, and segments written by reference, in the order of the
 * {@link Pieces} that say which is which. {@link #send} hands the head to the kernel in one
 * call: write(2) for a single piece (the copy-only queue of an echo), writev(2) when the queue
 * spans several, up to IOV_MAX. A heap reference has no native address: the part that fits goes
 * through the loop's stage, a piece at a time as the peer reads, never copied whole. Loop
 * thread only; no allocation per message once the buffer and the piece arrays have grown.
 */
final class OutQueue {
    private static final long IOV = Unistd.IOVEC.byteSize();
    /**
     * The most bytes one connection hands the kernel per loop turn; the rest goes out in the
     * following turns, before their waits. Without it one flush wrote until the socket buffer was
     * full, up to 4 MiB on loopback (tcp_wmem's autotuned maximum): twenty peers that each asked
     * for a 16 MiB value once kept the loop writing for 80 ms in one turn while a PING on another
     * connection waited. Redis bounds a client's writes per event the same way
     * (NET_MAX_WRITES_PER_EVENT, 64 KiB); a quarter MiB keeps the turns per byte of a bulk transfer
     * low (the wait and the turn cost about a microsecond; the quantum's copy, tens).
     */
    static final long QUANTUM = 256 * 1024;

    private final Connection conn;
    private final Pieces pieces = new Pieces();
    private Arena outArena;
    private MemorySegment out;
    private long outStart, outEnd;
    /** Bytes queued: copies and references. */
    private long pending;
    /** Whether the last {@link #send} was a writev (for the error's name). */
    private boolean gathered;

    OutQueue(Connection conn) {
        this.conn = conn;
    }

    long pending() {
        return pending;
    }

    boolean isEmpty() {
        return pending == 0;
    }

    /** The C call the last {@link #send} made, for an error message. */
    String lastCall() {
        return gathered ? SocketIo.WRITEV_CALL : SocketIo.WRITE_CALL;
    }

    /** Copies native {@code src[off, off+len)} to the end. */
    void copy(MemorySegment src, long off, long len) {
        long held = outEnd - outStart;
        if (out == null || outEnd + len > out.byteSize()) {
            long cap = out == null ? 0 : out.byteSize();
            if (held + len <= cap) {
                MemorySegment.copy(out, outStart, out, 0, held);
            } else {
                long newCap = Math.max(16 * 1024, Long.highestOneBit(held + len - 1) << 1);
                // Confined to the loop thread (closing a shared arena costs a handshake with every
                // thread); shared when written before the loop has a thread, which flushes it later.
                Arena a = conn.loop.inLoop() ? Arena.ofConfined() : Arena.ofShared();
                MemorySegment n = a.allocate(newCap, 64);
                if (held > 0) MemorySegment.copy(out, outStart, n, 0, held);
                if (outArena != null) outArena.close();
                outArena = a;
                out = n;
            }
            outStart = 0;
            outEnd = held;
        }
        MemorySegment.copy(src, off, out, outEnd, len);
        outEnd += len;
        pieces.addCopy(len);
        pending += len;
    }

    /** Queues {@code src[off, off+len)} by reference; {@code release} runs once it is sent or dropped. */
    void reference(MemorySegment src, long off, long len, Runnable release) {
        pieces.addReference(src, off, len, release);
        pending += len;
    }

    /**
     * One write(2) or writev(2) of at most {@code max} bytes of the queue's head on {@code fd}: the
     * bytes the kernel took (consumed here, references it finished released), or -errno (EAGAIN
     * included).
     */
    long send(EventLoop l, int fd, long max) {
        Pieces p = pieces;
        long w;
        gathered = p.count() > 1 && SocketIo.GATHERS;
        if (gathered) {
            MemorySegment iov = l.stage.iovecs();
            w = SocketIo.writev(l.cs, fd, iov, gather(l, p, iov, max));
        } else {
            MemorySegment s = p.segment(0);
            long len = Math.min(p.length(0), max);
            if (s == null) {
                w = SocketIo.write(l.cs, fd, out, outStart, len); // the hot path: copies only
            } else if (s.isNative()) {
                w = SocketIo.write(l.cs, fd, s, p.offset(0), len);
            } else {
                MemorySegment stage = l.stage.segment();
                long m = Math.min(len, stage.byteSize());
                MemorySegment.copy(s, p.offset(0), stage, 0, m);
                w = SocketIo.write(l.cs, fd, stage, 0, m);
            }
        }
        if (w > 0) consume(w);
        return w;
    }

    /**
     * Fills up to IOV_MAX iovecs, {@code max} bytes at most, from the head: copies from
     * {@code out}, references in place, heap ones staged.
     */
    private int gather(EventLoop l, Pieces p, MemorySegment iov, long max) {
        long cursor = outStart, staged = 0, left = max;
        MemorySegment stage = l.stage.segment();
        int n = 0;
        for (int i = 0; i < p.count() && n < Unistd.IOV_MAX && left > 0; i++) {
            MemorySegment s = p.segment(i);
            long len = Math.min(p.length(i), left), addr;
            if (s == null) {
                addr = out.address() + cursor;
                cursor += len;
            } else if (s.isNative()) {
                addr = Unistd.address(s, p.offset(i), len);
            } else {
                long room = stage.byteSize() - staged;
                if (room == 0) break;
                long m = Math.min(len, room);
                MemorySegment.copy(s, p.offset(i), stage, staged, m);
                addr = stage.address() + staged;
                staged += m;
                if (m < len) { // the rest of this piece cannot follow its own tail: stop here
                    put(iov, n++, addr, m);
                    break;
                }
            }
            put(iov, n++, addr, len);
            left -= len;
        }
        return n;
    }

    private static void put(MemorySegment iov, int i, long addr, long len) {
        iov.set(ValueLayout.JAVA_LONG, i * IOV + Unistd.IOV_BASE, addr);
        iov.set(ValueLayout.JAVA_LONG, i * IOV + Unistd.IOV_LEN, len);
    }

    private void consume(long w) {
        Pieces p = pieces;
        pending -= w;
        while (w > 0) {
            long m = Math.min(w, p.length(0));
            if (p.segment(0) == null) outStart += m;
            p.consume(m);
            w -= m;
        }
        if (outStart == outEnd) outStart = outEnd = 0;
        p.runReleased(conn);
    }

    /** The queue is empty: a burst-sized buffer does not stay with an idle connection. */
    void drained(long keepAtMost) {
        outStart = outEnd = 0;
        if (out != null && out.byteSize() > keepAtMost) free();
    }

    /** The connection closed: nothing more is sent; every reference is released. */
    void closed() {
        pending = 0;
        outStart = outEnd = 0;
        if (outArena != null) free();
        pieces.releaseAll(conn);
    }

    private void free() {
        outArena.close();
        outArena = null;
        out = null;
    }
}
