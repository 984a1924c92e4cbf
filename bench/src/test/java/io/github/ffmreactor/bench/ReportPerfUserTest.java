package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's perf section: bench/perf-user's lines parsed, each server against C at its connection count. */
class ReportPerfUserTest {
    static final List<String> LINES = List.of(
            "perf-user c-epoll 16c x 64B: 146283 rt/s, user 0.125 us/rt (730 samples)",
            "perf-user ffm-edge 16c x 64B: 161029 rt/s, user 0.228 us/rt (1470 samples)",
            "perf-user ffm-level 16c x 64B: 166280 rt/s, user 0.140 us/rt (1544 samples)",
            "perf-user: no samples or no rate for ffm-edge",
            "perf-user c-epoll 256c x 64B: 165811 rt/s, user 0.200 us/rt (839 samples)",
            "perf-user ffm-edge 256c x 64B: 177731 rt/s, user 0.216 us/rt (1537 samples)");

    @Test
    void parsesOnlyMeasurementLines() {
        List<PerfUserReport.PerfUser> p = PerfUserReport.parsePerfUser(LINES);
        assertEquals(5, p.size());
        assertEquals(new PerfUserReport.PerfUser("ffm-edge", 16, 0.228), p.get(1));
        assertEquals(new PerfUserReport.PerfUser("ffm-edge", 256, 0.216), p.get(4));
    }

    @Test
    void ratiosAreToCAtTheSameConnectionCount(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("perf-user.txt"), LINES);
        String h = PerfUserReport.html(dir);
        assertTrue(h.contains("<td>ffm-edge</td><td>16</td><td>0.228</td><td>1.82</td><td class=\"miss\">missed</td>"), h);
        assertTrue(h.contains("<td>ffm-level</td><td>16</td><td>0.140</td><td>1.12</td><td class=\"ok\">met</td>"), h);
        assertTrue(h.contains("<td>ffm-edge</td><td>256</td><td>0.216</td><td>1.08</td><td class=\"ok\">met</td>"), h);
    }

    @Test
    void aSkippedRunSaysWhy(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("perf-user.txt"), "perf-user: skipped (perf missing)\n");
        assertTrue(PerfUserReport.html(dir).contains("<pre>perf-user: skipped (perf missing)</pre>"));
        assertEquals("", PerfUserReport.html(dir.resolve("nowhere")));
    }
}
