package io.github.ffmreactor.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.ServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Issue 8, stress (e): {@code echo --backend select} with 2,000 concurrent clients (bounded core:
 * 1,100). select(2) cannot watch fd 1024 or above: each connection accepted onto such an fd is
 * closed at once, and the server goes on serving the others. (The 1,025th connection used to end
 * the loop: every connection closed and the process exited 0.)
 */
@Tag("stress")
@EnabledOnOs(OS.LINUX)
@Timeout(300)
class SelectLimitStressTest {
    private static final int FD_SETSIZE = 1024;

    @Test
    void connectionsPastFdSetSizeAreRefusedAndTheRestServed() throws Exception {
        int n = Stress.size(1_100, 2_000);
        String name = "e/" + n + " clients on select";
        try (ServerProcess s = ServerProcess.start("echo", "--port", "0", "--backend", "select")) {
            Stress.Baseline b = Stress.warmUp(s);
            try (EchoClients clients = new EchoClients(s.port())) {
                clients.open(n, 256, Duration.ofSeconds(120));
                Stress.report("%s: %d echoed, %d refused, %d of the echoed closed later, server fds %d, server %s",
                        name, clients.echoed(), clients.refused(), clients.droppedAfterEcho(), s.fds(), s.status());
                assertTrue(s.alive(), name + ": server " + s.status() + "\n" + s.output());
                assertEquals(n, clients.echoed() + clients.refused() + clients.droppedAfterEcho(), name + ": every client settled");
                assertEquals(0, clients.droppedAfterEcho(), name + ": served connections closed by the server");
                // fds 0-2 and the server's own (listener, wake-up, jdk) are below 1024 too, so at most
                // 1021 connections fit, and a few dozen fds of the JVM's are a generous allowance.
                assertTrue(clients.refused() >= n - (FD_SETSIZE - 3), name + ": refused " + clients.refused());
                assertTrue(clients.echoed() >= FD_SETSIZE - 64, name + ": served only " + clients.echoed());
                int served = clients.echoed();
                // A refused connection may still be closing on the server's side (a lingering close).
                Await.until(Duration.ofSeconds(10), "server fds = baseline + " + served + " served connections",
                        () -> s.fds() == b.fds() + served);
                clients.echoAgain(Duration.ofSeconds(60));
                assertEquals(served, clients.echoed(), name + ": served connections echo again");
            }
            Stress.assertRecovered(name, s, b, 64);
            Stress.assertStopsCleanly(name, s);
        }
    }
}
