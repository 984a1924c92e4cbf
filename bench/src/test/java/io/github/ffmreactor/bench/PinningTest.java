package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code ffmreactor.bench.pin}: the value's form, and a server process really started on the CPU it names. */
class PinningTest {
    @Test
    void parsesServerAndClientCores() {
        assertArrayEquals(new int[] {1, 0}, Pinning.cores("1:0"));
        assertArrayEquals(new int[] {0, 0}, Pinning.cores("0:0"), "one CPU for both");
        assertNull(Pinning.cores("no"));
        assertNull(Pinning.cores(null));
        for (String bad : List.of("1", "a:0", "-1:0", "1:0:2", "1:")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pinning.cores(bad));
            assertEquals(true, e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void triggerRefusesABadPin() {
        Opts.Bad e = assertThrows(Opts.Bad.class, () -> TriggerProfile.pin(Opts.parse(new String[] {"trigger", "--pin", "0-1"}, 1,
                TriggerProfile.OPTIONS)));
        assertEquals("--pin must be SERVER:CLIENT (e.g. 1:0, or 0:0 for one CPU) or no, got '0-1'", e.getMessage());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void serverRunsOnTheNamedCpu() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2 && Files.exists(Path.of("/proc/self/status")),
                "needs two CPUs and /proc");
        System.setProperty(Pinning.PROPERTY, "1:0");
        try (ServerProcess sp = ServerProcess.start("ffm-level")) {
            String status = Files.readString(Path.of("/proc/" + sp.pid + "/status"));
            assertEquals(true, status.contains("Cpus_allowed_list:\t1\n"), status);
        } finally {
            System.clearProperty(Pinning.PROPERTY);
        }
    }
}
