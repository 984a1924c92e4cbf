package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The uring profile's tables: medians over rounds, ratios to the baseline of the same round, and their spread. */
class RatioTableTest {
    /** A run of {@code server} at 16 x 64 B: 1,000,000 round trips over 5 s, {@code cpuNanos} of run time in all. */
    static Measurement m(String server, int connections, long cpuNanos, long p50Nanos, Syscalls.Count sys, Long alloc) {
        Map<String, Long> counters = alloc == null ? Map.of() : Map.of("alloc", alloc, "bytesIn", 64_000_000L);
        return new Measurement(server, connections, 64, 1, 5.0, 1_000_000, p50Nanos, 2 * p50Nanos, 3 * p50Nanos, 4 * p50Nanos,
                cpuNanos / 10, cpuNanos - cpuNanos / 10, cpuNanos, new long[] {-1, -1, -1}, counters, Map.of(), 0, sys);
    }

    static Syscalls.Count sys(long calls, long enters) {
        return new Syscalls.Count("perf", calls, enters, 100_000);
    }

    @Test
    void medianOfOddAndEvenCountsIgnoresNaN() {
        assertEquals(2.0, RatioTable.median(new double[] {3, 1, 2}));
        assertEquals(2.5, RatioTable.median(new double[] {4, 1, 3, 2}));
        assertEquals(1.0, RatioTable.median(new double[] {Double.NaN, 1}));
        assertTrue(Double.isNaN(RatioTable.median(new double[] {Double.NaN})));
    }

    @Test
    void ratiosPairEachRoundWithTheBaselineOfThatRound() {
        // The machine got slower in round 2: both servers' CPU doubled, the ratio did not move.
        List<RatioTable.Run> runs = List.of(
                new RatioTable.Run(1, m("c-epoll", 16, 2_000_000_000L, 50_000, null, null)),
                new RatioTable.Run(1, m("ffm-uring", 16, 1_800_000_000L, 45_000, null, 0L)),
                new RatioTable.Run(2, m("c-epoll", 16, 4_000_000_000L, 50_000, null, null)),
                new RatioTable.Run(2, m("ffm-uring", 16, 3_200_000_000L, 50_000, null, 0L)),
                new RatioTable.Run(3, m("c-epoll", 16, 2_000_000_000L, 50_000, null, null)),
                new RatioTable.Run(3, m("ffm-uring", 16, 2_000_000_000L, 60_000, null, 0L)));
        RatioTable.Spread cpu = RatioTable.ratio(runs, "ffm-uring", "c-epoll", RatioTable::cpuMicros);
        assertEquals(0.9, cpu.median(), 1e-9);
        assertEquals(0.8, cpu.min(), 1e-9);
        assertEquals(1.0, cpu.max(), 1e-9);
        assertEquals(3, cpu.n());
        assertEquals("0.90 (0.80–1.00)", cpu.format());
        assertEquals("1.00 (0.90–1.20)", RatioTable.ratio(runs, "ffm-uring", "c-epoll", m -> m.p50Nanos() / 1e3).format());
        // The absolute median is over the server's own runs: 1.8, 3.2, 2.0 us.
        assertEquals(2.0, RatioTable.median(runs, "ffm-uring", RatioTable::cpuMicros), 1e-9);
    }

    @Test
    void aRoundWithoutItsBaselineOrANumberIsLeftOut() {
        List<RatioTable.Run> runs = List.of(
                new RatioTable.Run(1, m("c-epoll", 16, 2_000_000_000L, 50_000, sys(300_000, 0), null)),
                new RatioTable.Run(1, m("c-uring", 16, 1_000_000_000L, 50_000, null, null)),
                new RatioTable.Run(2, m("c-uring", 16, 1_500_000_000L, 50_000, sys(50_000, 50_000), null)));
        // Round 2 has no c-epoll; round 1's c-uring has no syscall count.
        assertEquals("0.50", RatioTable.ratio(runs, "c-uring", "c-epoll", RatioTable::cpuMicros).format());
        assertEquals(RatioTable.Spread.NONE, RatioTable.ratio(runs, "c-uring", "c-epoll", Measurement::syscallsPerRoundTrip));
        assertEquals("–", RatioTable.Spread.NONE.format());
        assertEquals(0.5, RatioTable.median(runs, "c-uring", Measurement::uringEntersPerRoundTrip), 1e-9);
    }

    @Test
    void cellTablesShowMediansRatiosAndMissingRounds() {
        List<RatioTable.Run> runs = new ArrayList<>();
        for (int r = 1; r <= 3; r++) {
            runs.add(new RatioTable.Run(r, m("c-epoll", 256, 2_000_000_000L, 500_000, sys(250_000, 0), null)));
            if (r < 3) runs.add(new RatioTable.Run(r, m("ffm-uring", 256, 1_700_000_000L, 450_000, sys(40_000, 40_000), 0L)));
        }
        runs.add(new RatioTable.Run(1, m("c-epoll", 1, 2_000_000_000L, 5_000, sys(300_000, 0), null)));
        String t = RatioTable.cellTables(runs, List.of("c-epoll", "c-uring", "ffm-uring"), "c-epoll");
        // Cells in the order measured, one table each; a server with no run in a cell has no row there.
        assertTrue(t.indexOf("### 256c x 64B") < t.indexOf("### 1c x 64B"), t);
        assertFalse(t.contains("| c-uring"), t);
        assertTrue(t.contains("| server | CPU us/rt | CPU × c-epoll | user us/rt | user × c-epoll | rt/s | rt/s × c-epoll "
                + "| p50 us | p50 × c-epoll | sys/rt | sys/rt × c-epoll | io_uring_enter/rt | alloc B/rt |"), t);
        // 1,000,000 rt: 2.0 us CPU, 0.2 us user, 200,000 rt/s, 500 us p50, 2.5 syscalls (of 100,000 counted rt).
        assertTrue(t.contains("| c-epoll | 2.000 | 1 | 0.200 | 1 | 200,000 | 1 | 500.0 | 1 | 2.500 | 1 | 0.000 | – |"), t);
        assertTrue(t.contains("| ffm-uring (2 of 3 rounds) | 1.700 | 0.85 (0.85–0.85) | 0.170 | 0.85 (0.85–0.85) | 200,000 "
                + "| 1.00 (1.00–1.00) | 450.0 | 0.90 (0.90–0.90) | 0.400 | 0.16 (0.16–0.16) | 0.400 | 0.00 |"), t);
    }

    @Test
    void summariesPutServersDownAndCellsAcross() {
        List<RatioTable.Run> runs = List.of(
                new RatioTable.Run(1, m("c-epoll", 16, 2_000_000_000L, 50_000, sys(200_000, 0), null)),
                new RatioTable.Run(1, m("ffm-uring", 16, 1_800_000_000L, 50_000, sys(35_000, 35_000), 0L)),
                new RatioTable.Run(1, m("c-epoll", 1000, 2_000_000_000L, 50_000, sys(150_000, 0), null)),
                new RatioTable.Run(1, m("ffm-uring", 1000, 1_600_000_000L, 50_000, sys(10_000, 10_000), 0L)));
        List<String> servers = List.of("c-epoll", "netty-uring", "ffm-uring");
        assertEquals("""
                | CPU × c-epoll | 16c x 64B | 1000c x 64B |
                |---|---:|---:|
                | c-epoll | 1 | 1 |
                | ffm-uring | 0.90 | 0.80 |

                """, RatioTable.summary(runs, servers, "c-epoll", RatioTable.metric("CPU us/rt")));
        assertEquals("""
                | io_uring_enter/rt | 16c x 64B | 1000c x 64B |
                |---|---:|---:|
                | c-epoll | 0.000 | 0.000 |
                | ffm-uring | 0.350 | 0.100 |

                """, RatioTable.absolute(runs, servers, RatioTable.metric("io_uring_enter/rt")));
    }
}
