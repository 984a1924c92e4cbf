package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JmhMerge} against JMH itself: {@code jmh-2forks.json} is JMH 1.37's own JSON of two
 * EchoBench results with two forks each (the first two of the pinned trigger run in
 * bench-results/trigger-pinned). Split into two one-fork files whose statistics are blanked, the
 * merge must give back JMH's score, error, interval, percentiles and raw data.
 */
class JmhMergeTest {
    static List<JsonObject> jmhTwoForks() {
        try (InputStream in = JmhMergeTest.class.getResourceAsStream("/jmh-2forks.json")) {
            List<JsonObject> r = new ArrayList<>();
            for (JsonElement e : JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonArray()) {
                r.add(e.getAsJsonObject());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Result {@code r} with only its fork {@code i}, and every statistic "NaN": only a recomputation restores them. */
    static JsonObject fork(JsonObject r, int i) {
        JsonObject p = r.deepCopy();
        p.addProperty("forks", 1);
        onlyFork(p.getAsJsonObject("primaryMetric"), i);
        for (String name : List.copyOf(p.getAsJsonObject("secondaryMetrics").keySet())) {
            onlyFork(p.getAsJsonObject("secondaryMetrics").getAsJsonObject(name), i);
        }
        return p;
    }

    private static void onlyFork(JsonObject m, int i) {
        JsonArray raw = new JsonArray();
        raw.add(m.getAsJsonArray("rawData").get(i).deepCopy());
        m.add("rawData", raw);
        m.addProperty("score", "NaN");
        m.addProperty("scoreError", "NaN");
        JsonArray ci = new JsonArray();
        ci.add("NaN");
        ci.add("NaN");
        m.add("scoreConfidence", ci);
        JsonObject pct = m.getAsJsonObject("scorePercentiles");
        for (String k : List.copyOf(pct.keySet())) pct.addProperty(k, "NaN");
    }

    private static Path write(Path file, List<JsonObject> results) throws IOException {
        JsonArray a = new JsonArray();
        for (JsonObject r : results) a.add(r);
        Files.writeString(file, a.toString());
        return file;
    }

    private static List<JsonObject> read(Path file) throws IOException {
        List<JsonObject> r = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) r.add(e.getAsJsonObject());
        return r;
    }

    private static void assertClose(double expected, double actual, String what) {
        assertFalse(Double.isNaN(expected), what + ": JMH's value is NaN, nothing to compare");
        assertEquals(expected, actual, 1e-9 * Math.max(1, Math.abs(expected)), what);
    }

    private static void assertSameMetric(JsonObject jmh, JsonObject merged, String what) {
        assertClose(jmh.get("score").getAsDouble(), JmhMerge.number(merged.get("score")), what + " score");
        assertClose(jmh.get("scoreError").getAsDouble(), JmhMerge.number(merged.get("scoreError")), what + " scoreError");
        for (int i = 0; i < 2; i++) {
            assertClose(jmh.getAsJsonArray("scoreConfidence").get(i).getAsDouble(),
                    JmhMerge.number(merged.getAsJsonArray("scoreConfidence").get(i)), what + " scoreConfidence[" + i + "]");
        }
        JsonObject pj = jmh.getAsJsonObject("scorePercentiles"), pm = merged.getAsJsonObject("scorePercentiles");
        assertEquals(pj.keySet(), pm.keySet(), what + " percentile ranks");
        for (String k : pj.keySet()) assertClose(pj.get(k).getAsDouble(), JmhMerge.number(pm.get(k)), what + " percentile " + k);
        assertEquals(jmh.get("scoreUnit"), merged.get("scoreUnit"), what + " unit");
        JsonArray rj = jmh.getAsJsonArray("rawData"), rm = merged.getAsJsonArray("rawData");
        assertEquals(rj.size(), rm.size(), what + " forks in rawData");
        for (int f = 0; f < rj.size(); f++) {
            JsonArray a = rj.get(f).getAsJsonArray(), b = rm.get(f).getAsJsonArray();
            assertEquals(a.size(), b.size(), what + " fork " + f + " iterations");
            for (int i = 0; i < a.size(); i++) assertClose(a.get(i).getAsDouble(), b.get(i).getAsDouble(), what + " rawData[" + f + "][" + i + "]");
        }
    }

    @Test
    void twoOneForkFilesMergeIntoWhatJmhWroteForTwoForks(@TempDir Path dir) throws IOException {
        List<JsonObject> jmh = jmhTwoForks();
        assertEquals(2, jmh.size());
        Path f0 = write(dir.resolve("f0.json"), jmh.stream().map(r -> fork(r, 0)).toList());
        Path f1 = write(dir.resolve("f1.json"), jmh.stream().map(r -> fork(r, 1)).toList());
        Path out = dir.resolve("merged.json");
        JmhMerge.files(List.of(f0, f1), out);
        List<JsonObject> merged = read(out);
        assertEquals(jmh.size(), merged.size());
        for (int i = 0; i < jmh.size(); i++) {
            JsonObject j = jmh.get(i), m = merged.get(i);
            String what = j.getAsJsonObject("params").get("server").getAsString();
            // Every field but the metrics as JMH wrote it, forks included (2, from 1 + 1).
            assertEquals(List.copyOf(j.keySet()), List.copyOf(m.keySet()), what);
            for (String k : j.keySet()) if (!k.endsWith("Metric") && !k.endsWith("Metrics")) assertEquals(j.get(k), m.get(k), what + " " + k);
            assertEquals(2, m.get("forks").getAsInt());
            assertSameMetric(j.getAsJsonObject("primaryMetric"), m.getAsJsonObject("primaryMetric"), what + " primary");
            JsonObject sj = j.getAsJsonObject("secondaryMetrics"), sm = m.getAsJsonObject("secondaryMetrics");
            assertEquals(11, sj.size());
            assertEquals(sj.keySet(), sm.keySet(), what);
            for (String k : sj.keySet()) assertSameMetric(sj.getAsJsonObject(k), sm.getAsJsonObject(k), what + " " + k);
        }
        // jvmArgs hold '=': written as they are, not as \u003d.
        assertTrue(Files.readString(out).contains("-Dffmreactor.bench.pin=1:0"));
    }

    @Test
    void forksKeepTheOrderOfTheFilesAndTheStatisticsDoNotDependOnIt() {
        JsonObject r = jmhTwoForks().get(0);
        JsonObject m = JmhMerge.merge(List.of(fork(r, 1), fork(r, 0))).get(0);
        JsonArray raw = m.getAsJsonObject("primaryMetric").getAsJsonArray("rawData");
        assertEquals(r.getAsJsonObject("primaryMetric").getAsJsonArray("rawData").get(1), raw.get(0));
        assertClose(r.getAsJsonObject("primaryMetric").get("score").getAsDouble(), JmhMerge.number(m.getAsJsonObject("primaryMetric").get("score")),
                "score, forks reversed");
    }

    @Test
    void partsThatDifferInMoreThanTheirForksAreRefused() {
        JsonObject r = jmhTwoForks().get(0);
        JsonObject other = fork(r, 1);
        other.addProperty("measurementIterations", 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JmhMerge.merge(List.of(fork(r, 0), other)));
        assertTrue(e.getMessage().contains("differ in measurementIterations (5 vs 4)"), e.getMessage());

        JsonObject fewer = fork(r, 1);
        fewer.getAsJsonObject("secondaryMetrics").remove("cpuUsPerRt");
        e = assertThrows(IllegalArgumentException.class, () -> JmhMerge.merge(List.of(fork(r, 0), fewer)));
        assertTrue(e.getMessage().contains("different secondary results"), e.getMessage());

        JsonObject unit = fork(r, 1);
        unit.getAsJsonObject("primaryMetric").addProperty("scoreUnit", "ops/ms");
        e = assertThrows(IllegalArgumentException.class, () -> JmhMerge.merge(List.of(fork(r, 0), unit)));
        assertTrue(e.getMessage().contains("cannot pool scores in \"ops/s\" and \"ops/ms\""), e.getMessage());

        JsonObject noRaw = fork(r, 1);
        noRaw.getAsJsonObject("primaryMetric").remove("rawData");
        e = assertThrows(IllegalArgumentException.class, () -> JmhMerge.merge(List.of(fork(r, 0), noRaw)));
        assertTrue(e.getMessage().contains("no rawData to pool"), e.getMessage());
    }

    @Test
    void aNanIterationMakesTheScoreNanWrittenAsJmhWritesIt() {
        JsonObject r = jmhTwoForks().get(0);
        JsonObject a = fork(r, 0), b = fork(r, 1);
        JsonArray it = b.getAsJsonObject("secondaryMetrics").getAsJsonObject("cpuUsPerRt").getAsJsonArray("rawData").get(0).getAsJsonArray();
        it.set(0, new JsonPrimitive("NaN"));
        JsonObject cpu = JmhMerge.merge(List.of(a, b)).get(0).getAsJsonObject("secondaryMetrics").getAsJsonObject("cpuUsPerRt");
        assertEquals("NaN", cpu.get("score").getAsString());
        assertEquals(Double.POSITIVE_INFINITY, JmhMerge.number(JmhMerge.emit(Double.POSITIVE_INFINITY)));
        assertEquals("-INF", JmhMerge.emit(Double.NEGATIVE_INFINITY).getAsString());
    }
}
