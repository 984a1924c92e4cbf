package io.github.ffmreactor.bench;

import io.github.ffmreactor.loop.WaitStrategy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Echo round trips over loopback: the server under test runs in its own process (so its CPU time
 * is its own), started once per trial; the load is ffmreactor's own client loop in this JVM, one
 * loop thread, {@code connections} sockets each keeping {@code depth} messages of {@code size}
 * bytes in flight, every echoed byte checked.
 *
 * <p>The score is round trips per second. Beside it, over the measured iterations only, the trial
 * appends one line to {@code ffmreactor.bench.cells} (default {@code bench-results/cells.jsonl}):
 * latency percentiles, the server's user and system CPU per round trip (from /proc/PID/stat), and
 * for ffmreactor servers their loop's counters (waits, events, reads, writes, EAGAINs per round
 * trip) and the loop thread's allocated bytes, and the server's kernel crossings per round trip
 * (all syscalls, and io_uring_enter calls) counted by {@link Syscalls} over one more second of load
 * after the measured iterations. The report joins the two. Per iteration, the same counters and
 * CPU per round trip are JMH secondary results ({@link PerRoundTrip}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@org.openjdk.jmh.annotations.Measurement(iterations = 3, time = 3)
public class EchoBench {
    /** Round trips per benchmark invocation: the client loop wakes the JMH thread once per batch. */
    static final int BATCH = 64;
    private static final Duration STALL = Duration.ofSeconds(30);
    /** How long the syscall count after the measured iterations runs (ms; 0: none). */
    static final String SYSCALL_WINDOW_MS = "ffmreactor.bench.syscallWindowMs";

    @Param({"c-epoll", "c-uring", "ffm-uring", "ffm-edge", "ffm-level", "ffm-oneshot", "ffm-poll", "ffm-select", "nio", "netty-epoll", "netty-uring", "netty-nio",
            "vthreads", "c-epoll-spin", "ffm-edge-spin", "ffm-edge-stp", "netty-epoll-spin"})
    public String server;

    @Param({"1", "16", "256"})
    public int connections;

    @Param({"64", "16384"})
    public int size;

    @Param({"1", "16"})
    public int depth;

    /** How the load client's loop waits (block, spin, spin-then-park:D); see LoadClient. */
    @Param({"block"})
    public String clientWait;

    ServerProcess sp;
    LoadClient client;
    private long target;

    // One window from the start of the first measured iteration to the end of the last, sampled by
    // PerRoundTrip at the iteration boundaries. With -Dffmreactor.bench.perRoundTrip=false nothing
    // is sampled between those two, so -prof gc's middle iterations show what a round trip
    // allocates in this JVM (the client loop and the JMH thread), free of the bookkeeping.
    private int measured;
    private Sample first, last;
    private Histogram latency;

    @Setup(Level.Trial)
    public void start() throws Exception {
        String why = Servers.unavailableReason(server);
        if (why != null) throw new UnsupportedOperationException("SKIPPED: " + why);
        Pinning.pinClient();
        sp = ServerProcess.start(server);
        client = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port), connections, size, depth, 1,
                WaitStrategy.parse(clientWait));
        target = client.completed();
    }

    /**
     * The iteration's start, or null where only the whole measurement is sampled
     * ({@link PerRoundTrip#ENABLED} off) and this is not its start. The first measured iteration
     * also starts the whole-measurement window and the latency histogram.
     */
    Sample begin(IterationParams ip) throws Exception {
        boolean firstMeasured = ip.getType() == IterationType.MEASUREMENT && measured++ == 0;
        if (firstMeasured) client.resetLatency();
        if (!firstMeasured && !PerRoundTrip.ENABLED) return null;
        Sample s = Sample.take(sp, sp.pid, client);
        if (firstMeasured) first = s;
        return s;
    }

    /** The iteration's end (null as for {@link #begin}); the last measured one ends the whole-measurement window. */
    Sample end(IterationParams ip) throws Exception {
        boolean lastMeasured = ip.getType() == IterationType.MEASUREMENT && measured == ip.getCount();
        if (!lastMeasured && !PerRoundTrip.ENABLED) return null;
        Sample s = Sample.take(sp, sp.pid, client);
        if (lastMeasured) {
            last = s;
            latency = client.latency();
        }
        return s;
    }

    /** {@code a} to {@code b} with this trial's cell; {@code h} its latencies, or null. */
    Measurement between(Sample a, Sample b, Histogram h) {
        return Measurement.between(server, connections, size, depth, a, b, h, client.errors());
    }

    /**
     * The score is round trips per second; {@code perRt}'s fields (the server loop's counters and
     * the server's CPU per round trip, sampled at the iteration's edges) are JMH secondary results.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long roundTrips(PerRoundTrip perRt) {
        if (perRt.firstCall == 0) perRt.firstCall = System.nanoTime();
        target += BATCH;
        if (!client.awaitCompleted(target, STALL)) {
            throw new IllegalStateException(server + ": round trips stalled at " + client.completed() + " of " + target
                    + (client.firstError() != null ? "; first error: " + client.firstError() : ""));
        }
        perRt.lastReturn = System.nanoTime();
        return target;
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        try {
            if (first != null && last != null && last.roundTrips() > first.roundTrips()) {
                // Kernel crossings over a window of their own after the measured iterations (the load
                // keeps running between them), never inside the CPU window.
                Syscalls.Count sys = null;
                Duration w = Duration.ofMillis(Long.getLong(SYSCALL_WINDOW_MS, 1000));
                if (!w.isZero() && client.errors() == 0) {
                    try {
                        sys = Syscalls.window(sp.pid, w, client::completed);
                    } catch (IOException e) {
                        System.out.println("syscalls: not counted for " + server + ": " + e.getMessage());
                    }
                }
                Measurement m = between(first, last, latency).withSyscalls(sys);
                System.out.println();
                System.out.println("cell " + server + " " + m.cell() + ": " + m.summary());
                Path out = Path.of(System.getProperty("ffmreactor.bench.cells", "bench-results/cells.jsonl"));
                if (out.getParent() != null) Files.createDirectories(out.getParent());
                LoadMain.appendJson(out, m);
            }
            if (client.errors() > 0) throw new IllegalStateException(server + ": " + client.errors() + " error(s); first: " + client.firstError());
        } finally {
            if (client != null) client.close();
            if (sp != null) sp.close();
        }
    }
}
