package io.github.ffmreactor.loop;

/**
 * What a loop asked of the kernel and how it went, since it opened. Divide by round trips to see
 * what edge and level triggering each cost per message.
 *
 * @param waits        poll calls (epoll_wait...)
 * @param events       events delivered by the poller
 * @param reads        read calls
 * @param writes       write calls
 * @param eagains      reads and writes that returned EAGAIN
 * @param accepts      connections accepted
 * @param bytesIn      bytes read
 * @param bytesOut     bytes written
 * @param ctlCalls     registration changes (epoll_ctl...)
 * @param wakeups      wakeup signals sent to the poller
 * @param staleEvents  events dropped because their connection closed earlier in the same batch
 * @param carried      edge-triggered connections carried to the next turn for fairness
 * @param open         connections open now
 * @param rejected     accepted connections closed at once: over {@link LoopOptions#maxConnections()}
 *                     or past the fds the backend can watch (select: FD_SETSIZE)
 * @param failures     channels closed because something failed (a handler threw, an unexpected
 *                     errno, a registration the poller refused), each reported once via onError
 * @param acceptPauses times a listener paused accepting because a resource ran out (EMFILE...)
 * @param queuedBytes  output queued in the loop's connections now, not yet taken by the kernel
 */
public record LoopStats(long waits, long events, long reads, long writes, long eagains, long accepts,
                        long bytesIn, long bytesOut, long ctlCalls, long wakeups, long staleEvents,
                        long carried, long open, long rejected, long failures, long acceptPauses,
                        long queuedBytes) {
    /** The sum of two loops' counters (a group's). */
    public LoopStats plus(LoopStats o) {
        return new LoopStats(waits + o.waits, events + o.events, reads + o.reads, writes + o.writes,
                eagains + o.eagains, accepts + o.accepts, bytesIn + o.bytesIn, bytesOut + o.bytesOut,
                ctlCalls + o.ctlCalls, wakeups + o.wakeups, staleEvents + o.staleEvents, carried + o.carried,
                open + o.open, rejected + o.rejected, failures + o.failures, acceptPauses + o.acceptPauses,
                queuedBytes + o.queuedBytes);
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
