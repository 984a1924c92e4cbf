package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.poll.Trigger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hot-path rule, measured: in steady state an echo server's loop thread allocates nothing per
 * round trip, in edge and in level mode, and neither does the load client's loop (which is also
 * ffmreactor). Reads HotSpot's per-thread allocation counter around 100k round trips.
 */
class LoopAllocationTest {
    static final int WARMUP = 60_000, MEASURED = 100_000, WINDOWS = 5;
    /** Zero in practice; room for one stray lazily created object, not for anything per message. */
    static final long LIMIT = 4096;

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Trigger.class, names = {"EDGE", "LEVEL"})
    @Timeout(120)
    void noAllocationPerRoundTripOnTheLoopThreads(Trigger trigger) throws Exception {
        long fds0 = openFds();
        EventLoop server = EventLoop.open(LoopOptions.defaults());
        Listener l = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, () -> EchoServer.ECHO);
        LongSupplier serverAlloc = ServerMain.allocatedBytes(server.start("alloc-test-server"));
        try (LoadClient client = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()), 4, 64, 4, 1)) {
            assertTrue(client.awaitCompleted(WARMUP, Duration.ofSeconds(60)), "warm-up stalled: " + client.firstError());
            // Steady state: the JIT may still recompile (a deoptimisation runs a method in the
            // interpreter for a while, where escape analysis does not remove temporaries), so this
            // looks at up to WINDOWS windows and needs one that is clean. Allocation per message
            // would show in every window (>= 16 B per round trip, 1.6 MB per window).
            long bestServer = Long.MAX_VALUE, bestClient = Long.MAX_VALUE;
            for (int w = 0; w < WINDOWS && (bestServer >= LIMIT || bestClient >= LIMIT); w++) {
                long s0 = serverAlloc.getAsLong();
                long c0 = client.counters().get("alloc");
                long r0 = client.completed();
                assertTrue(client.awaitCompleted(r0 + MEASURED, Duration.ofSeconds(60)), "stalled: " + client.firstError());
                long rts = client.completed() - r0;
                long serverBytes = serverAlloc.getAsLong() - s0;
                Map<String, Long> cc = client.counters();
                long clientBytes = cc.get("alloc") - c0;
                System.out.printf("%s window %d: %d round trips, server loop allocated %d B (%.4f B/rt), client loop %d B (%.4f B/rt)%n",
                        trigger, w, rts, serverBytes, serverBytes / (double) rts, clientBytes, clientBytes / (double) rts);
                bestServer = Math.min(bestServer, serverBytes);
                bestClient = Math.min(bestClient, clientBytes);
            }
            assertEquals(0, client.errors(), client.firstError());
            assertTrue(bestServer < LIMIT, "server loop thread allocated at least " + bestServer + " B per " + MEASURED + " round trips");
            assertTrue(bestClient < LIMIT, "client loop thread allocated at least " + bestClient + " B per " + MEASURED + " round trips");
        } finally {
            server.close();
        }
        assertEquals(fds0, openFds(), "fds left open");
    }
}
