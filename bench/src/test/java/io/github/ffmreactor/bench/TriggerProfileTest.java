package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.RunnerException;

/**
 * The trigger profile end to end, briefly (one fork, no warm-up, three iterations of 200 ms, edge,
 * level and oneshot at one connection, depth 1): JMH's JSON carries every {@link PerRoundTrip} secondary
 * result for both servers, echo makes exactly one write per round trip at depth 1 (an exact count,
 * whatever the machine's load), and the table's verdict line is printed and written. Then the
 * same in two rounds (the forks interleaved and pooled), and a fork that fails.
 */
class TriggerProfileTest {
    /** Runs the profile with these options and returns its console output (also left in the test log). */
    static String profile(String... options) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream was = System.out;
        int status;
        try (PrintStream tee = new PrintStream(new TeeStream(was, console), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            String[] args = new String[options.length + 1];
            args[0] = "trigger";
            System.arraycopy(options, 0, args, 1, options.length);
            status = TriggerProfile.run(args);
        } finally {
            System.setOut(was);
        }
        assertEquals(0, status);
        return console.toString(StandardCharsets.UTF_8);
    }

    /** {@link PerRoundTrip}'s secondary results. */
    static List<String> secondaries() {
        List<String> fields = new ArrayList<>();
        for (Field f : PerRoundTrip.class.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers()) && !Modifier.isStatic(f.getModifiers())) fields.add(f.getName());
        }
        assertEquals(11, fields.size(), fields.toString());
        return fields;
    }

    static List<JsonObject> results(Path json) throws Exception {
        List<JsonObject> r = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(json)).getAsJsonArray()) r.add(e.getAsJsonObject());
        return r;
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void profileWritesEverySecondaryResultAndAVerdict(@TempDir Path dir) throws Exception {
        String out = profile("--servers", "ffm-edge,ffm-level,ffm-oneshot", "--connections", "1", "--depth", "1", "--forks", "1",
                "--warmup-iterations", "0", "--iterations", "3", "--time", "200ms", "--out", dir.toString());
        List<String> fields = secondaries();
        List<String> servers = new ArrayList<>();
        for (JsonObject r : results(dir.resolve("jmh-trigger.json"))) {
            String server = r.getAsJsonObject("params").get("server").getAsString();
            servers.add(server);
            JsonObject sec = r.getAsJsonObject("secondaryMetrics");
            for (String f : fields) {
                assertTrue(sec.has(f), server + " lacks " + f + ": " + sec.keySet());
                double v = Report.parse(sec.getAsJsonObject(f).get("score"));
                assertFalse(Double.isNaN(v), server + " " + f + " is NaN");
            }
            double writes = sec.getAsJsonObject("writesPerRt").get("score").getAsDouble();
            assertEquals(1.0, writes, 0.01, server + ": echo at depth 1 writes once per round trip");
            assertEquals(1.0, sec.getAsJsonObject("readsPerRt").get("score").getAsDouble(), 0.01, server + " reads");
            assertTrue(sec.getAsJsonObject("cpuUsPerRt").get("score").getAsDouble() > 0, server + " CPU");
            // Oneshot re-arms (epoll_ctl) once per event, one event per round trip here; edge and level never.
            assertEquals(server.equals("ffm-oneshot") ? 1.0 : 0.0, sec.getAsJsonObject("ctlPerRt").get("score").getAsDouble(), 0.01,
                    server + " ctl calls");
        }
        assertEquals(List.of("ffm-edge", "ffm-level", "ffm-oneshot"), servers.stream().sorted().toList());
        String verdict = "verdict epoll, 1 conn, depth 1: ";
        assertTrue(out.contains(verdict), out);
        assertTrue(Files.readString(dir.resolve("trigger.md")).contains(verdict));
        // The JMH line the profile ran, for running it by hand.
        assertTrue(out.contains("trigger: java -jar benchmarks.jar EchoBench -p server=ffm-edge,ffm-level,ffm-oneshot"), out);
        // Server and client pinned apart where there are two CPUs (PinningTest checks the pinning itself).
        assertTrue(out.contains("-Dffmreactor.bench.pin=" + TriggerProfile.pin(Opts.parse(new String[] {"trigger"}, 1, TriggerProfile.OPTIONS))), out);
        // The table has the ctl row, oneshot's column about one per round trip. Its edge and level
        // columns are checked to 0.01 in the JSON above: a loaded run measured edge at 0.001 (an
        // iteration that saw the connection's registration), so the row's text is not pinned.
        assertTrue(java.util.regex.Pattern.compile("\\| ctl calls \\| [^|]+\\| [^|]+\\| (0\\.99\\d|1\\.00\\d) ± ")
                .matcher(out).find(), out);
    }

    /**
     * Two rounds of edge and level: each server runs one fork in each round, edge first in round 0
     * and level first in round 1 (rounds/order.txt, in start order), each fork its own one-fork
     * JSON, and jmh-trigger.json pools them into two forks with every secondary result.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void twoRoundsRunEveryServerOnceARoundInAlternatingOrderAndPoolTheirForks(@TempDir Path dir) throws Exception {
        String out = profile("--servers", "ffm-edge,ffm-level", "--connections", "1", "--depth", "1", "--forks", "2",
                "--warmup-iterations", "0", "--iterations", "3", "--time", "200ms", "--out", dir.toString());
        assertTrue(out.contains("trigger: java -jar benchmarks.jar EchoBench -p server=ffm-edge,ffm-level -p connections=1 -p depth=1"
                + " -p size=64 -p clientWait=block -f 2 "), out);
        assertTrue(out.contains("trigger: runs that as 2 round(s), interleaved"), out);
        Path rounds = dir.resolve("rounds");
        List<String[]> forks = Files.readAllLines(rounds.resolve(Rounds.ORDER_FILE)).stream().filter(l -> !l.startsWith("#"))
                .map(l -> l.split("\t", -1)).toList();
        assertEquals(List.of("0 1 ffm-edge ok", "0 2 ffm-level ok", "1 1 ffm-level ok", "1 2 ffm-edge ok"),
                forks.stream().map(f -> f[0] + " " + f[1] + " " + f[7] + " " + f[9]).toList());
        for (int i = 1; i < forks.size(); i++) {
            Instant before = Instant.parse(forks.get(i - 1)[2]), start = Instant.parse(forks.get(i)[2]);
            double took = Double.parseDouble(forks.get(i - 1)[3]);
            assertTrue(start.isAfter(before) && Duration.between(before, start).toMillis() >= took * 1000 - 100,
                    "fork " + i + " started at " + start + ", the one before at " + before + " for " + took + " s");
        }
        List<String> fields = secondaries();
        Map<String, List<JsonElement>> perFork = new HashMap<>();
        for (String[] f : forks) {
            List<JsonObject> part = results(rounds.resolve(f[8]));
            assertEquals(1, part.size(), f[8]);
            assertEquals(1, part.get(0).get("forks").getAsInt(), f[8]);
            perFork.computeIfAbsent(f[7], k -> new ArrayList<>()).add(part.get(0).getAsJsonObject("primaryMetric").getAsJsonArray("rawData").get(0));
        }
        List<JsonObject> merged = results(dir.resolve("jmh-trigger.json"));
        assertEquals(List.of("ffm-edge", "ffm-level"), merged.stream().map(r -> r.getAsJsonObject("params").get("server").getAsString()).toList());
        for (JsonObject r : merged) {
            String server = r.getAsJsonObject("params").get("server").getAsString();
            assertEquals(2, r.get("forks").getAsInt(), server);
            JsonArray raw = r.getAsJsonObject("primaryMetric").getAsJsonArray("rawData");
            // Round 0's fork first, then round 1's, whatever their places in the rounds.
            assertEquals(perFork.get(server), List.of(raw.get(0), raw.get(1)), server);
            double sum = 0;
            for (JsonElement fork : raw) {
                assertEquals(3, fork.getAsJsonArray().size(), server);
                for (JsonElement v : fork.getAsJsonArray()) sum += v.getAsDouble();
            }
            assertEquals(sum / 6, r.getAsJsonObject("primaryMetric").get("score").getAsDouble(), 1e-9 * sum, server + " score: the mean of both forks");
            assertFalse(Double.isNaN(Report.parse(r.getAsJsonObject("primaryMetric").get("scoreError"))), server + ": six iterations have an error");
            JsonObject sec = r.getAsJsonObject("secondaryMetrics");
            assertEquals(Set.copyOf(fields), sec.keySet(), server);
            for (String f : fields) {
                assertEquals(2, sec.getAsJsonObject(f).getAsJsonArray("rawData").size(), server + " " + f);
                assertFalse(Double.isNaN(Report.parse(sec.getAsJsonObject(f).get("score"))), server + " " + f + " is NaN");
            }
            assertEquals(1.0, sec.getAsJsonObject("writesPerRt").get("score").getAsDouble(), 0.01, server + " writes");
        }
        String line = "forks interleaved, one per server and round, in this order: r0 ffm-edge, ffm-level; r1 ffm-level, ffm-edge";
        assertTrue(Files.readString(dir.resolve("trigger.md")).contains(line), out);
        assertTrue(out.contains("verdict epoll, 1 conn, depth 1: "), out);
    }

    @Test
    void theDefaultsAreTwoRoundsOfSixCellsAndCellListsMustBeNumbers(@TempDir Path dir) throws Exception {
        TriggerProfile.Profile p = TriggerProfile.profile(Opts.parse(new String[] {"trigger"}, 1, TriggerProfile.OPTIONS), dir);
        assertEquals(List.of(1, 16, 256), p.connections());
        assertEquals(List.of(1, 16), p.depths());
        assertEquals(2, p.forks());
        Opts.Bad e = assertThrows(Opts.Bad.class, () -> TriggerProfile.profile(
                Opts.parse(new String[] {"trigger", "--connections", "1,x"}, 1, TriggerProfile.OPTIONS), dir));
        assertEquals("--connections must be a comma-separated list of numbers in 1..100000, got '1,x'", e.getMessage());
        e = assertThrows(Opts.Bad.class, () -> TriggerProfile.profile(Opts.parse(new String[] {"trigger", "--depth", "16,0"}, 1,
                TriggerProfile.OPTIONS), dir));
        assertEquals("--depth must be a comma-separated list of numbers in 1..65536, got '16,0'", e.getMessage());
    }

    /** A fork that fails stops the profile, and order.txt says which (a previous run's forks are gone). */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aForkThatFailsIsRecordedAndStopsTheProfile(@TempDir Path dir) throws Exception {
        TriggerProfile.Profile p = new TriggerProfile.Profile(List.of("no-such-server", "ffm-level"), List.of(1), List.of(1), 64, 1,
                List.of("-wi", "0", "-i", "1", "-r", "100ms"), "-Dffmreactor.bench.cells=" + dir.resolve("cells.jsonl"));
        Path rounds = dir.resolve("rounds");
        Files.createDirectories(rounds);
        Files.writeString(rounds.resolve("r7-c1-d1-ffm-edge.json"), "[]");
        assertThrows(RunnerException.class, () -> TriggerProfile.rounds(p, rounds));
        List<String> lines = Files.readAllLines(rounds.resolve(Rounds.ORDER_FILE)).stream().filter(l -> !l.startsWith("#")).toList();
        assertEquals(1, lines.size(), "ffm-level never ran: " + lines);
        assertTrue(lines.get(0).startsWith("0\t1\t") && lines.get(0).endsWith("\t1\t1\t64\tno-such-server\tr0-c1-d1-no-such-server.json\tfailed"),
                lines.get(0));
        assertFalse(Files.exists(rounds.resolve("r7-c1-d1-ffm-edge.json")));
        assertEquals(Map.of(), Rounds.orders(rounds.resolve(Rounds.ORDER_FILE)));
    }

    /** Writes to two streams: the test log keeps JMH's output, the test reads it. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a, b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
