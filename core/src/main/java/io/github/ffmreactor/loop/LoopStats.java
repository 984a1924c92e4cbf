package io.github.ffmreactor.loop;

/**
 * What a loop asked of the kernel and how it went, since it opened. Divide by round trips to see
 * what edge and level triggering each cost per message.
 *
 * @param waits       poll calls (epoll_wait...)
 * @param events      events delivered by the poller
 * @param reads       read calls
 * @param writes      write calls
 * @param eagains     reads and writes that returned EAGAIN
 * @param accepts     connections accepted
 * @param bytesIn     bytes read
 * @param bytesOut    bytes written
 * @param ctlCalls    registration changes (epoll_ctl...)
 * @param wakeups     wakeup signals sent to the poller
 * @param staleEvents events dropped because their connection closed earlier in the same batch
 * @param carried     edge-triggered connections carried to the next turn for fairness
 * @param open        connections open now
 */
public record LoopStats(long waits, long events, long reads, long writes, long eagains, long accepts,
                        long bytesIn, long bytesOut, long ctlCalls, long wakeups, long staleEvents,
                        long carried, long open) {
    @Override
    public String toString() {
        return "waits=" + waits + " events=" + events + " reads=" + reads + " writes=" + writes
                + " eagains=" + eagains + " accepts=" + accepts + " bytesIn=" + bytesIn + " bytesOut=" + bytesOut
                + " ctl=" + ctlCalls + " wakeups=" + wakeups + " stale=" + staleEvents + " carried=" + carried
                + " open=" + open;
    }
}
