package io.github.ffmreactor.bench;

import java.io.IOException;
import java.util.Map;

/**
 * The load and the server at one instant: a measured window is the difference of two. Every
 * number is read in the same order at both ends, so each window (round trips, server counters,
 * CPU) has the same length, only shifted by the microseconds the reads between them take.
 *
 * @param server the server's counters (its {@code stats} line; empty for one that keeps none, null with no server process)
 * @param cpu the server's CPU times, null where there is no /proc (or no server pid)
 */
record Sample(long nanos, long roundTrips, Map<String, Long> server, Map<String, Long> client, ProcCpu cpu) {
    static Sample take(ServerProcess sp, long pid, LoadClient load) throws IOException, InterruptedException {
        Map<String, Long> srv = sp != null ? sp.stats() : null;
        Map<String, Long> cli = load.counters();
        ProcCpu cpu = pid > 0 ? ProcCpu.ofOrNull(pid) : null;
        long rt = load.completed();
        return new Sample(System.nanoTime(), rt, srv, cli, cpu);
    }
}
