package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The report's kernel-crossings column and chart, from what EchoBench writes to cells.jsonl. */
class ReportSyscallsTest {
    static String jmh(String server) {
        return "{\"benchmark\":\"io.github.ffmreactor.bench.EchoBench.roundTrips\",\"params\":{\"server\":\"" + server
                + "\",\"connections\":\"16\",\"size\":\"64\",\"depth\":\"1\",\"clientWait\":\"block\"},"
                + "\"primaryMetric\":{\"score\":200000.0,\"scoreError\":1000.0}}";
    }

    static String cell(String server, double syscalls, double enters) {
        return "{\"server\":\"" + server + "\",\"connections\":16,\"size\":64,\"depth\":1,\"serverRunMicrosPerRoundTrip\":2.0,"
                + "\"loopThreadRunMicrosPerRoundTrip\":1.5,\"syscallTool\":\"perf\",\"syscallsPerRoundTrip\":" + syscalls
                + ",\"uringEntersPerRoundTrip\":" + enters + "}";
    }

    @Test
    @Timeout(60)
    void everyServerHasItsSyscallsPerRoundTripAndTheRatioToC(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Files.writeString(dir.resolve("jmh-echo.json"), "[" + jmh("c-epoll") + "," + jmh("ffm-uring") + "]");
        Files.write(dir.resolve("cells.jsonl"), List.of(cell("c-epoll", 2.0, 0.0), cell("ffm-uring", 0.35, 0.35)));
        Path html = Report.write(dir, dir, Report.load(dir));
        String h = Files.readString(html);
        assertTrue(h.contains("<th>sys/rt</th><th>sys/rt x C</th><th>io_uring_enter/rt</th>"), h);
        // other threads 0.500 us, then syscalls/rt, its ratio to c-epoll, io_uring_enter/rt.
        assertTrue(h.contains("<td>0.500</td><td>2.000</td><td>1.00</td><td>0.000</td>"), h);
        assertTrue(h.contains("<td>0.500</td><td>0.350</td><td>0.18</td><td>0.350</td>"), h);
        assertTrue(Files.size(dir.resolve("syscalls-per-roundtrip.png")) > 1000);
    }
}
