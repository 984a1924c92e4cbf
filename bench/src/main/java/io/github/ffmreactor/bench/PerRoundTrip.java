package io.github.ffmreactor.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;

/**
 * {@link EchoBench}'s secondary results: per round trip, over exactly one JMH iteration (sampled
 * in its setup and teardown; inside the measured loop only two clock reads per call of 64 round
 * trips), what the server's event loop did
 * (its own counters, from the server's {@code stats} line) and what the server process's CPU time
 * came to (/proc). c-epoll counts its calls alike; NaN where the server does not count (c-uring,
 * Netty, NIO, virtual threads keep no loop counters) or the OS has no /proc.
 *
 * <p>JMH divides an {@link AuxCounters.Type#OPERATIONS} counter by the iteration's time and prints
 * it in the score's unit (ops/s). So each field holds its per-round-trip value times the
 * iteration's length in that unit, and what JMH prints, with its mean and 99.9 % error over the
 * iterations, is the value per round trip (the name says which); the unit column beside it is
 * JMH's and means nothing here. Throughput mode only (EchoBench's); in another mode the fields are NaN.
 * {@code -Dffmreactor.bench.perRoundTrip=false} (in {@code -jvmArgsAppend}) turns the sampling off
 * except at the measurement's two ends, so {@code -prof gc} sees no bookkeeping (otherwise it
 * counts the stats line and the /proc text each sample reads and parses).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class PerRoundTrip {
    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("ffmreactor.bench.perRoundTrip", "true"));

    /** The loop's epoll_wait (kevent, poll, select) calls. */
    public double waitsPerRt;
    /** Readiness events the loop was handed. */
    public double eventsPerRt;
    /** read calls, those that found nothing (EAGAIN) included. */
    public double readsPerRt;
    /** write calls. */
    public double writesPerRt;
    /** reads and writes that returned EAGAIN. */
    public double eagainsPerRt;
    /** Registration changes (epoll_ctl, kevent changes): oneshot's re-arms. */
    public double ctlPerRt;
    /** Edge-triggered connections carried to the next turn (read budget spent, not drained). */
    public double carriedPerRt;
    /** The system calls the loop made: waits + reads + writes + ctl. */
    public double syscallsPerRt;
    /** The server process's CPU, all threads: the scheduler's exact run time (us). */
    public double cpuUsPerRt;
    /** Of it, user time (/proc/PID/stat utime, tick-sampled; us). */
    public double userUsPerRt;
    /** Of it, system time (/proc/PID/stat stime, tick-sampled; us). */
    public double sysUsPerRt;

    private Sample start;
    // JMH's clock for the iteration reads just before the first call and just after the last:
    // these two read the same instants to within nanoseconds (one clock read per call of 64 round
    // trips, ~25 ns in ~1 ms), where the setup and teardown can be descheduled for milliseconds
    // on a busy machine (JMH's latch wakes its runner thread on the same cores).
    long firstCall, lastReturn;

    @Setup(Level.Iteration)
    public void begin(EchoBench b, IterationParams ip) throws Exception {
        start = b.begin(ip);
        firstCall = 0;
    }

    @TearDown(Level.Iteration)
    public void end(EchoBench b, BenchmarkParams bp, IterationParams ip) throws Exception {
        long jmhNanos = lastReturn - firstCall;
        Sample a = start, z = b.end(ip);
        start = null;
        Measurement m = a == null || z == null || bp.getMode() != Mode.Throughput ? null : b.between(a, z, null);
        double scale = m == null ? Double.NaN : jmhNanos / (double) bp.getTimeUnit().toNanos(1);
        waitsPerRt = scale * loop(m, "waits");
        eventsPerRt = scale * loop(m, "events");
        readsPerRt = scale * loop(m, "reads");
        writesPerRt = scale * loop(m, "writes");
        eagainsPerRt = scale * loop(m, "eagains");
        ctlPerRt = scale * loop(m, "ctl");
        carriedPerRt = scale * loop(m, "carried");
        syscallsPerRt = scale * (m == null ? Double.NaN : m.loopSyscallsPerRoundTrip());
        cpuUsPerRt = scale * (m == null ? Double.NaN : RatioTable.cpuMicros(m));
        userUsPerRt = scale * (m == null ? Double.NaN : m.userMicrosPerRoundTrip());
        sysUsPerRt = scale * (m == null ? Double.NaN : m.sysMicrosPerRoundTrip());
    }

    private static double loop(Measurement m, String counter) {
        return m == null ? Double.NaN : m.serverPerRoundTrip(counter);
    }
}
