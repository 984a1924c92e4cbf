package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * What a loop asked of the kernel and how it went, since it opened. Divide by round trips to see
 * what edge and level triggering each cost per message. A snapshot: take one with
 * {@link EventLoop#stats()} (any thread), add two with {@link #plus(LoopStats)}. Only the loop
 * makes them (no public constructor): a counter added later is a new accessor, not a new
 * constructor argument for every caller.
 */
public final class LoopStats {
    private final long waits;
    private final long events;
    private final long reads;
    private final long writes;
    private final long eagains;
    private final long accepts;
    private final long bytesIn;
    private final long bytesOut;
    private final long ctlCalls;
    private final long wakeups;
    private final long staleEvents;
    private final long carried;
    private final long open;
    private final long rejected;
    private final long failures;
    private final long acceptPauses;
    private final long queuedBytes;

    LoopStats(long waits, long events, long reads, long writes, long eagains, long accepts, long bytesIn, long
            bytesOut, long ctlCalls, long wakeups, long staleEvents, long carried, long open, long rejected, long
            failures, long acceptPauses, long queuedBytes) {
        this.waits = waits;
        this.events = events;
        this.reads = reads;
        this.writes = writes;
        this.eagains = eagains;
        this.accepts = accepts;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.ctlCalls = ctlCalls;
        this.wakeups = wakeups;
        this.staleEvents = staleEvents;
        this.carried = carried;
        this.open = open;
        this.rejected = rejected;
        this.failures = failures;
        this.acceptPauses = acceptPauses;
        this.queuedBytes = queuedBytes;
    }

    /** {@return poll calls (epoll_wait...)} */
    public long waits() {
        return waits;
    }

    /** {@return events delivered by the poller} */
    public long events() {
        return events;
    }

    /** {@return read calls} */
    public long reads() {
        return reads;
    }

    /** {@return write calls} */
    public long writes() {
        return writes;
    }

    /** {@return reads and writes that returned EAGAIN} */
    public long eagains() {
        return eagains;
    }

    /** {@return connections accepted} */
    public long accepts() {
        return accepts;
    }

    /** {@return bytes read} */
    public long bytesIn() {
        return bytesIn;
    }

    /** {@return bytes written} */
    public long bytesOut() {
        return bytesOut;
    }

    /** {@return registration changes (epoll_ctl...)} */
    public long ctlCalls() {
        return ctlCalls;
    }

    /** {@return wakeup signals sent to the poller} */
    public long wakeups() {
        return wakeups;
    }

    /** {@return events dropped because their connection closed earlier in the same batch} */
    public long staleEvents() {
        return staleEvents;
    }

    /** {@return edge-triggered connections carried to the next turn for fairness} */
    public long carried() {
        return carried;
    }

    /** {@return connections open now} */
    public long open() {
        return open;
    }

    /**
     * {@return accepted connections closed at once: over {@link LoopOptions#maxConnections()} or past the
     * fds the backend can watch (select: FD_SETSIZE)}
     */
    public long rejected() {
        return rejected;
    }

    /**
     * {@return channels closed because something failed (a handler threw, an unexpected errno, a
     * registration the poller refused), each reported once via onError}
     */
    public long failures() {
        return failures;
    }

    /** {@return times a listener paused accepting because a resource ran out (EMFILE...)} */
    public long acceptPauses() {
        return acceptPauses;
    }

    /** {@return output queued in the loop's connections now, not yet taken by the kernel} */
    public long queuedBytes() {
        return queuedBytes;
    }

    /**
     * The sum of two loops' counters (a group's).
     *
     * @param o the other loop's
     * @return the sum, counter by counter
     */
    public LoopStats plus(LoopStats o) {
        return new LoopStats(waits + o.waits, events + o.events, reads + o.reads, writes + o.writes, eagains +
                o.eagains, accepts + o.accepts, bytesIn + o.bytesIn, bytesOut + o.bytesOut, ctlCalls + o.ctlCalls,
                wakeups + o.wakeups, staleEvents + o.staleEvents, carried + o.carried, open + o.open, rejected +
                o.rejected, failures + o.failures, acceptPauses + o.acceptPauses, queuedBytes + o.queuedBytes);
    }

    private long[] values() {
        return new long[] {waits, events, reads, writes, eagains, accepts, bytesIn, bytesOut, ctlCalls,
                wakeups, staleEvents, carried, open, rejected, failures, acceptPauses, queuedBytes};
    }

    /** {@return whether {@code o} is a LoopStats with the same counters} */
    @Override
    public boolean equals(Object o) {
        return o instanceof LoopStats s && Arrays.equals(values(), s.values());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values());
    }

    @Override
    public String toString() {
        return "waits=" + waits + " events=" + events + " reads=" + reads + " writes=" + writes
                + " eagains=" + eagains + " accepts=" + accepts + " bytesIn=" + bytesIn + " bytesOut=" + bytesOut
                + " ctl=" + ctlCalls + " wakeups=" + wakeups + " stale=" + staleEvents + " carried=" + carried
                + " open=" + open + " rejected=" + rejected + " failures=" + failures
                + " acceptPauses=" + acceptPauses + " queued=" + queuedBytes;
    }
}
