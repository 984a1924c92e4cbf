package io.github.ffmreactor.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A loop's counters: written by the loop thread only, through these methods (single writer),
 * read by any thread through {@link #snapshot}. Writes are opaque (atomic, never torn, eventually
 * visible; a plain store on x86 and arm64), reads opaque too: another thread sees each counter
 * whole and never going backwards, possibly a little stale. No allocation, no fence, no CAS.
 */
final class Counters {
    private static final VarHandle READS, WRITES, EAGAINS, ACCEPTS, BYTES_IN, BYTES_OUT, STALE, REJECTED,
            FAILURES, ACCEPT_PAUSES, QUEUED, CONNECTING, CARRIED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            READS = l.findVarHandle(Counters.class, "reads", long.class);
            WRITES = l.findVarHandle(Counters.class, "writes", long.class);
            EAGAINS = l.findVarHandle(Counters.class, "eagains", long.class);
            ACCEPTS = l.findVarHandle(Counters.class, "accepts", long.class);
            BYTES_IN = l.findVarHandle(Counters.class, "bytesIn", long.class);
            BYTES_OUT = l.findVarHandle(Counters.class, "bytesOut", long.class);
            STALE = l.findVarHandle(Counters.class, "staleEvents", long.class);
            REJECTED = l.findVarHandle(Counters.class, "rejected", long.class);
            FAILURES = l.findVarHandle(Counters.class, "failures", long.class);
            ACCEPT_PAUSES = l.findVarHandle(Counters.class, "acceptPauses", long.class);
            QUEUED = l.findVarHandle(Counters.class, "queuedOutput", long.class);
            CONNECTING = l.findVarHandle(Counters.class, "connecting", int.class);
            CARRIED = l.findVarHandle(Counters.class, "carried", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long reads, writes, eagains, accepts, bytesIn, bytesOut, staleEvents;
    private long rejected, failures, acceptPauses, queuedOutput, carried;
    private int connecting;

    /** A read call that returned {@code r} (bytes, 0 at end of input, or -errno). */
    void read(long r) {
        READS.setOpaque(this, reads + 1);
        if (r > 0) BYTES_IN.setOpaque(this, bytesIn + r);
    }

    /** A write call that took {@code w} bytes (0 or -errno: none). */
    void write(long w) {
        WRITES.setOpaque(this, writes + 1);
        if (w > 0) BYTES_OUT.setOpaque(this, bytesOut + w);
    }

    /** Bytes that came in without a read call of their own (a batch of datagrams from one recvmmsg). */
    void bytesIn(long r) {
        BYTES_IN.setOpaque(this, bytesIn + r);
    }

    /** Bytes that went out without a write call of their own being counted (a partial write's rest). */
    void bytesOut(long w) {
        BYTES_OUT.setOpaque(this, bytesOut + w);
    }

    void eagain() {
        EAGAINS.setOpaque(this, eagains + 1);
    }

    void accept() {
        ACCEPTS.setOpaque(this, accepts + 1);
    }

    void stale() {
        STALE.setOpaque(this, staleEvents + 1);
    }

    void rejected() {
        REJECTED.setOpaque(this, rejected + 1);
    }

    void failure() {
        FAILURES.setOpaque(this, failures + 1);
    }

    void acceptPause() {
        ACCEPT_PAUSES.setOpaque(this, acceptPauses + 1);
    }

    void carried() {
        CARRIED.setOpaque(this, carried + 1);
    }

    /** Output queued (positive) or taken by the kernel / dropped (negative). */
    void queued(long delta) {
        QUEUED.setOpaque(this, queuedOutput + delta);
    }

    /** Output queued by every connection of this loop now (loop thread: exact). */
    long queuedOutput() {
        return queuedOutput;
    }

    void connecting(int delta) {
        CONNECTING.setOpaque(this, connecting + delta);
    }

    /** Connects in progress (any thread: opaque). */
    int connecting() {
        return (int) CONNECTING.getOpaque(this);
    }

    LoopStats snapshot(long waits, long events, long ctlCalls, long wakeups, long open) {
        return new LoopStats(waits, events, get(READS), get(WRITES), get(EAGAINS), get(ACCEPTS), get(BYTES_IN),
                get(BYTES_OUT), ctlCalls, wakeups, get(STALE), get(CARRIED), open, get(REJECTED), get(FAILURES),
                get(ACCEPT_PAUSES), get(QUEUED));
    }

    private long get(VarHandle h) {
        return (long) h.getOpaque(this);
    }
}
