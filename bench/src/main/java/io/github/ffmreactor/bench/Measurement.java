package io.github.ffmreactor.bench;

import io.github.ffmreactor.loop.LoopStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one measured window of one cell (server x connections x size x depth) came to: throughput,
 * latency, the server's CPU per round trip, and the server loop's counters per round trip where
 * the server keeps them. Written as one JSON object per line for the report.
 */
@SuppressWarnings("ArrayRecordComponent") // a JSON row for Gson: never compared, hashed or mutated
record Measurement(String server, int connections, int size, int depth, double seconds, long roundTrips,
                   long p50Nanos, long p99Nanos, long p999Nanos, long maxNanos,
                   long serverUserNanos, long serverSysNanos, long serverRunNanos, long[] loopThread,
                   Map<String, Long> serverCounters,
                   Map<String, Long> clientCounters, long errors, Syscalls.Count syscalls) {

    /**
     * What happened between two samples (the round trips, the server's counters and CPU);
     * {@code h} the latencies over it, or null (then -1).
     */
    static Measurement between(String server, int connections, int size, int depth, Sample a, Sample b, Histogram h, long errors) {
        ProcCpu cpu = a.cpu() == null || b.cpu() == null ? null : b.cpu().minus(a.cpu());
        long[] loop = cpu == null ? new long[] {-1, -1, -1} : b.cpu().busiestThreadSince(a.cpu());
        return new Measurement(server, connections, size, depth, (b.nanos() - a.nanos()) / 1e9, b.roundTrips() - a.roundTrips(),
                h == null ? -1 : h.getValueAtPercentile(50), h == null ? -1 : h.getValueAtPercentile(99),
                h == null ? -1 : h.getValueAtPercentile(99.9), h == null ? -1 : h.getMaxValue(),
                cpu == null ? -1 : cpu.userNanos(), cpu == null ? -1 : cpu.systemNanos(), cpu == null ? -1 : cpu.runNanos(), loop,
                delta(a.server(), b.server()), delta(a.client(), b.client()), errors, null);
    }

    /** This measurement with the kernel crossings a separate window counted (null: none). */
    Measurement withSyscalls(Syscalls.Count s) {
        return new Measurement(server, connections, size, depth, seconds, roundTrips, p50Nanos, p99Nanos, p999Nanos, maxNanos,
                serverUserNanos, serverSysNanos, serverRunNanos, loopThread, serverCounters, clientCounters, errors, s);
    }

    /** System calls the server entered per round trip (its own window), NaN if not counted. */
    double syscallsPerRoundTrip() {
        return syscalls == null ? Double.NaN : syscalls.perRoundTrip();
    }

    /** io_uring_enter calls per round trip (its own window), NaN if not counted. */
    double uringEntersPerRoundTrip() {
        return syscalls == null ? Double.NaN : syscalls.uringEntersPerRoundTrip();
    }

    /** Bytes the server's loop thread allocated per round trip, NaN where the server does not say. */
    double allocatedPerRoundTrip() {
        return serverPerRoundTrip("alloc");
    }

    /** The server loop's counter {@code k} per round trip it saw; NaN where the server does not count it. */
    double serverPerRoundTrip(String k) {
        Long v = serverCounters == null ? null : serverCounters.get(k);
        return v == null ? Double.NaN : v / serverRoundTrips();
    }

    /**
     * The system calls the server loop made itself per round trip (waits, reads, writes and ctl
     * calls, as it counts them; accepts and wakeups aside); NaN where the server keeps no counters.
     */
    double loopSyscallsPerRoundTrip() {
        return serverPerRoundTrip("waits") + serverPerRoundTrip("reads") + serverPerRoundTrip("writes") + serverPerRoundTrip("ctl");
    }

    double roundTripsPerSecond() {
        return roundTrips / seconds;
    }

    /** Payload echoed per second, one direction, in MB (10^6 bytes). */
    double megabytesPerSecond() {
        return roundTripsPerSecond() * size / 1e6;
    }

    /** The scheduler's exact run time of the server's threads, per round trip. */
    double runMicrosPerRoundTrip() {
        return serverRunNanos < 0 ? Double.NaN : serverRunNanos / 1e3 / roundTrips;
    }

    /**
     * Round trips as the server counted them over its own counter window (bytes read / size):
     * the denominator for its counters, whose window is a little wider than the client's.
     */
    double serverRoundTrips() {
        Long in = serverCounters == null ? null : serverCounters.get("bytesIn");
        return in == null || in == 0 ? roundTrips : in / (double) size;
    }

    double userMicrosPerRoundTrip() {
        return serverUserNanos < 0 ? Double.NaN : serverUserNanos / 1e3 / roundTrips;
    }

    double sysMicrosPerRoundTrip() {
        return serverSysNanos < 0 ? Double.NaN : serverSysNanos / 1e3 / roundTrips;
    }

    String cell() {
        return connections + "c x " + (size >= 1024 ? size / 1024 + "KiB" : size + "B") + (depth > 1 ? " x d" + depth : "");
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", server);
        m.put("connections", connections);
        m.put("size", size);
        m.put("depth", depth);
        m.put("seconds", seconds);
        m.put("roundTrips", roundTrips);
        m.put("roundTripsPerSecond", roundTripsPerSecond());
        m.put("megabytesPerSecond", megabytesPerSecond());
        m.put("p50Nanos", p50Nanos);
        m.put("p99Nanos", p99Nanos);
        m.put("p999Nanos", p999Nanos);
        m.put("maxNanos", maxNanos);
        m.put("serverUserNanos", serverUserNanos);
        m.put("serverSysNanos", serverSysNanos);
        m.put("serverRunNanos", serverRunNanos);
        m.put("serverUserTicks", serverUserNanos / ProcCpu.TICK_NANOS);
        m.put("serverSysTicks", serverSysNanos / ProcCpu.TICK_NANOS);
        m.put("serverUserMicrosPerRoundTrip", userMicrosPerRoundTrip());
        m.put("serverSysMicrosPerRoundTrip", sysMicrosPerRoundTrip());
        m.put("serverRunMicrosPerRoundTrip", runMicrosPerRoundTrip());
        // The busiest thread of the server (its event loop): run time, and utime/stime (ticks).
        m.put("loopThreadRunMicrosPerRoundTrip", loopThread[2] < 0 ? Double.NaN : loopThread[2] / 1e3 / roundTrips);
        m.put("loopThreadUserMicrosPerRoundTrip", loopThread[0] < 0 ? Double.NaN : loopThread[0] / 1e3 / roundTrips);
        m.put("loopThreadSysMicrosPerRoundTrip", loopThread[1] < 0 ? Double.NaN : loopThread[1] / 1e3 / roundTrips);
        m.put("serverRoundTrips", serverRoundTrips());
        m.put("serverCounters", serverCounters);
        m.put("clientCounters", clientCounters);
        m.put("errors", errors);
        if (syscalls != null) {
            m.put("syscallTool", syscalls.tool());
            m.put("syscallRoundTrips", syscalls.roundTrips());
            m.put("syscallsPerRoundTrip", syscalls.perRoundTrip());
            m.put("uringEntersPerRoundTrip", syscalls.uringEntersPerRoundTrip());
        }
        return m;
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%,.0f round trips/s  %.1f MB/s  latency p50=%s p99=%s p99.9=%s max=%s",
                roundTripsPerSecond(), megabytesPerSecond(), micros(p50Nanos), micros(p99Nanos), micros(p999Nanos), micros(maxNanos)));
        if (serverUserNanos >= 0) {
            b.append(String.format(Locale.ROOT, "%n  server CPU per round trip: user %.3f us + sys %.3f us = %.3f us"
                    + " (/proc stat, %d+%d ticks); scheduler run time %.3f us",
                    userMicrosPerRoundTrip(), sysMicrosPerRoundTrip(), userMicrosPerRoundTrip() + sysMicrosPerRoundTrip(),
                    serverUserNanos / ProcCpu.TICK_NANOS, serverSysNanos / ProcCpu.TICK_NANOS, runMicrosPerRoundTrip()));
            if (loopThread[2] >= 0) {
                b.append(String.format(Locale.ROOT, "%n  of which the loop thread: %.3f us (user %.3f + sys %.3f), other threads %.3f us",
                        loopThread[2] / 1e3 / roundTrips, loopThread[0] / 1e3 / roundTrips, loopThread[1] / 1e3 / roundTrips,
                        (serverRunNanos - loopThread[2]) / 1e3 / roundTrips));
            }
        }
        if (serverCounters != null && serverCounters.containsKey("waits")) {
            b.append("\n  server loop per round trip:");
            for (String k : new String[] {"waits", "events", "reads", "writes", "eagains", "ctl"}) {
                double v = serverPerRoundTrip(k);
                if (!Double.isNaN(v)) b.append(String.format(Locale.ROOT, " %s=%.3f", k, v));
            }
            double alloc = serverPerRoundTrip("alloc");
            if (!Double.isNaN(alloc)) b.append(String.format(Locale.ROOT, " allocated=%.2f B", alloc));
        } else if (serverCounters != null && serverCounters.containsKey("alloc")) {
            b.append(String.format(Locale.ROOT, "%n  server loop thread allocated %.2f B per round trip", serverCounters.get("alloc") / (double) roundTrips));
        }
        if (syscalls != null) b.append("\n  ").append(syscalls.summary());
        if (clientCounters != null && clientCounters.containsKey("alloc")) {
            b.append(String.format(Locale.ROOT, "%n  load client loop per round trip: waits=%.3f reads=%.3f writes=%.3f allocated=%.2f B",
                    clientCounters.getOrDefault("waits", 0L) / (double) roundTrips, clientCounters.getOrDefault("reads", 0L) / (double) roundTrips,
                    clientCounters.getOrDefault("writes", 0L) / (double) roundTrips, clientCounters.get("alloc") / (double) roundTrips));
        }
        return b.toString();
    }

    static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1fus", nanos / 1e3);
    }

    /** Counter deltas b - a (keys of b). */
    static Map<String, Long> delta(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> d = new LinkedHashMap<>();
        if (a == null || b == null) return d;
        for (var e : b.entrySet()) {
            Long before = a.get(e.getKey());
            if (before != null && !e.getKey().equals("open")) d.put(e.getKey(), e.getValue() - before);
        }
        return d;
    }

    static Map<String, Long> counters(LoopStats s) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("waits", s.waits());
        m.put("events", s.events());
        m.put("reads", s.reads());
        m.put("writes", s.writes());
        m.put("eagains", s.eagains());
        m.put("ctl", s.ctlCalls());
        m.put("carried", s.carried());
        m.put("bytesIn", s.bytesIn());
        return m;
    }
}
