package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdicts and intervals of the trigger table, on JMH JSON results made up for the purpose. */
class TriggerTableTest {
    /** A result of EchoBench with its per-iteration values of syscallsPerRt and cpuUsPerRt. */
    static JsonObject result(String server, double[] syscalls, double[] cpu, double cpuError) {
        JsonObject r = new JsonObject();
        r.addProperty("benchmark", "io.github.ffmreactor.bench.EchoBench.roundTrips");
        JsonObject p = new JsonObject();
        p.addProperty("server", server);
        p.addProperty("connections", "16");
        p.addProperty("size", "64");
        p.addProperty("depth", "1");
        r.add("params", p);
        JsonObject pm = metric(new double[] {1e5, 1e5}, 0);
        r.add("primaryMetric", pm);
        JsonObject sec = new JsonObject();
        sec.add("syscallsPerRt", metric(syscalls, 0.001));
        sec.add("cpuUsPerRt", metric(cpu, cpuError));
        r.add("secondaryMetrics", sec);
        return r;
    }

    static JsonObject metric(double[] raw, double error) {
        JsonObject m = new JsonObject();
        double s = 0;
        for (double v : raw) s += v;
        m.addProperty("score", s / raw.length);
        m.addProperty("scoreError", error);
        JsonArray fork = new JsonArray();
        for (double v : raw) fork.add(v);
        JsonArray all = new JsonArray();
        all.add(fork);
        m.add("rawData", all);
        return m;
    }

    @Test
    void edgeThatSavesSyscallsAndCpuGetsBothInItsVerdict() {
        JsonObject edge = result("ffm-edge", new double[] {2.0, 2.0, 2.0, 2.0}, new double[] {4.4, 4.5, 4.5, 4.6}, 0.2);
        JsonObject level = result("ffm-level", new double[] {2.5, 2.5, 2.5, 2.5}, new double[] {5.0, 5.0, 5.1, 4.9}, 0.2);
        String v = TriggerTable.verdict(edge, level);
        assertTrue(v.startsWith("edge saves 0.500 syscalls per round trip (2.000 vs 2.500); CPU edge 0.90x level, CI "), v);
        TriggerTable.Ratio r = TriggerTable.ratio(TriggerTable.series(edge, "cpuUsPerRt"), TriggerTable.series(level, "cpuUsPerRt"));
        assertEquals(0.9, r.value(), 1e-9);
        assertTrue(r.low() > 0.8 && r.low() < 0.9 && r.high() > 0.9 && r.high() < 1, r.toString());
    }

    @Test
    void overlappingCpuIsWithinNoiseAndEqualSyscallsAreTheSame() {
        JsonObject edge = result("ffm-edge", new double[] {3, 3, 3}, new double[] {4.8, 5.2, 5.0}, 0.4);
        JsonObject level = result("ffm-level", new double[] {3, 3, 3}, new double[] {5.1, 4.9, 5.0}, 0.3);
        String v = TriggerTable.verdict(edge, level);
        assertTrue(v.startsWith("same syscalls per round trip within noise (3.000 vs 3.000); CPU difference within noise (edge 1.00x level, CI "), v);
    }

    @Test
    void anErrorOverTheBoundIsInconclusive() {
        JsonObject edge = result("ffm-edge", new double[] {2, 2}, new double[] {4, 6}, 2.5);
        JsonObject level = result("ffm-level", new double[] {2.5, 2.5}, new double[] {5, 5}, 0.1);
        assertTrue(TriggerTable.verdict(edge, level).endsWith("CPU inconclusive: error 50% (edge) and 2% (level) of the score, bound 10%"),
                TriggerTable.verdict(edge, level));
        String md = TriggerTable.markdown(List.of(edge, level));
        assertTrue(md.contains("| CPU us | 5.000 ± 2.500 (inconclusive) | 5.000 ± 0.100 |"), md);
        assertTrue(md.contains("verdict epoll, 16 conn, depth 1: edge saves 0.500 syscalls per round trip"), md);
    }

    /** With more than one fork, a row gives each fork's own CPU mean; with one, there is no such row. */
    @Test
    void eachForksCpuMeanIsShownBesideThePooledInterval() {
        JsonObject edge = result("ffm-edge", new double[] {2, 2}, new double[] {5, 6}, 0.1);
        JsonObject level = result("ffm-level", new double[] {2, 2}, new double[] {7, 7}, 0.1);
        assertFalse(TriggerTable.markdown(List.of(edge, level)).contains("each fork"));
        JsonArray second = new JsonArray();
        second.add(7.0);
        second.add(8.0);
        edge.getAsJsonObject("secondaryMetrics").getAsJsonObject("cpuUsPerRt").getAsJsonArray("rawData").add(second);
        JsonArray levelSecond = new JsonArray();
        levelSecond.add(4.0);
        levelSecond.add(Double.NaN);
        level.getAsJsonObject("secondaryMetrics").getAsJsonObject("cpuUsPerRt").getAsJsonArray("rawData").add(levelSecond);
        assertTrue(TriggerTable.markdown(List.of(edge, level)).contains("| CPU us, each fork | 5.500, 7.500 | 7.000, 4.000 | |\n"),
                TriggerTable.markdown(List.of(edge, level)));
    }

    @Test
    void theForksOrderIsShownOnlyWhereTheOrderFileMatchesTheResults() {
        JsonObject edge = result("ffm-edge", new double[] {2, 2, 2}, new double[] {5, 5, 5}, 0.1);
        JsonObject level = result("ffm-level", new double[] {2, 2, 2}, new double[] {5, 5, 5}, 0.1);
        edge.addProperty("forks", 2);
        level.addProperty("forks", 2);
        List<String> el = List.of("ffm-edge", "ffm-level"), le = List.of("ffm-level", "ffm-edge");
        String line = "forks interleaved, one per server and round, in this order: r0 ffm-edge, ffm-level; r1 ffm-level, ffm-edge\n";
        assertTrue(TriggerTable.markdown(List.of(edge, level), Map.of("16|64|1", List.of(el, le))).contains(line));
        // Not this JSON's order: another cell, a round short of the forks, a round without level.
        for (Map<String, List<List<String>>> other : List.of(Map.of("1|64|1", List.of(el, le)), Map.of("16|64|1", List.of(el)),
                Map.of("16|64|1", List.of(el, List.of("ffm-edge", "ffm-edge"))))) {
            assertFalse(TriggerTable.markdown(List.of(edge, level), other).contains("forks interleaved"), other.toString());
        }
        assertFalse(TriggerTable.markdown(List.of(edge, level)).contains("forks interleaved"));
    }
}
