package io.github.ffmreactor.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.ServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 8, stress (a): 10,000 concurrent echo connections (bounded core: 1,000). */
@Tag("stress")
@EnabledOnOs(OS.LINUX)
@Timeout(300)
class ManyConnectionsStressTest {
    @ParameterizedTest
    @ValueSource(strings = {"level", "edge"})
    void holdsAndEchoesOnEveryConnection(String trigger) throws Exception {
        Stress.assumeEngineTakes(trigger);
        int n = Stress.size(1_000, 10_000);
        String name = "a/" + n + " connections/" + trigger;
        try (ServerProcess s = ServerProcess.start("echo", "--port", "0", "--trigger", trigger)) {
            Stress.Baseline b = Stress.warmUp(s);
            long cpu0 = s.loopCpuMillis();
            long t0 = System.nanoTime();
            try (EchoClients clients = new EchoClients(s.port())) {
                clients.open(n, 256, Duration.ofSeconds(120));
                long opened = System.nanoTime();
                assertEquals(0, clients.refused(), name + ": connections refused");
                // All of them at once: the server holds one fd for each.
                assertEquals(b.fds() + n, s.fds(), name + ": server fds while every connection is open");
                clients.echoAgain(Duration.ofSeconds(60));
                assertEquals(n, clients.echoed(), name + ": connections with both echoes");
                assertEquals(0, clients.droppedAfterEcho(), name + ": connections the server closed");
                long busy = s.loopCpuMillis() - cpu0;
                Stress.report("%s: opened and echoed in %d ms, second echo on all in %d ms, loop cpu %d ms, server rss %d KiB",
                        name, (opened - t0) / 1_000_000, (System.nanoTime() - opened) / 1_000_000, busy, s.rssKiB());
                // The loop-thread measure the other cases rely on does see the loop working.
                assertTrue(busy > 0, name + ": no loop cpu measured while serving " + n + " connections");
            }
            Stress.assertRecovered(name, s, b, 64);
            Stress.assertStopsCleanly(name, s);
        }
    }
}
