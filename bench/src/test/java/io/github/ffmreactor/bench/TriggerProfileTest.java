package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trigger profile end to end, briefly (one fork, no warm-up, three iterations of 200 ms, edge,
 * level and oneshot at one connection, depth 1): JMH's JSON carries every {@link PerRoundTrip} secondary
 * result for both servers, echo makes exactly one write per round trip at depth 1 (an exact count,
 * whatever the machine's load), and the table's verdict line is printed and written.
 */
class TriggerProfileTest {
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void profileWritesEverySecondaryResultAndAVerdict(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream was = System.out;
        int status;
        try (PrintStream tee = new PrintStream(new TeeStream(was, console), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            status = TriggerProfile.run(new String[] {"trigger", "--servers", "ffm-edge,ffm-level,ffm-oneshot", "--connections", "1",
                    "--depth", "1", "--forks", "1", "--warmup-iterations", "0", "--iterations", "3", "--time", "200ms",
                    "--out", dir.toString()});
        } finally {
            System.setOut(was);
        }
        assertEquals(0, status);
        List<String> fields = new ArrayList<>();
        for (Field f : PerRoundTrip.class.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers()) && !Modifier.isStatic(f.getModifiers())) fields.add(f.getName());
        }
        assertEquals(11, fields.size(), fields.toString());
        List<String> servers = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(dir.resolve("jmh-trigger.json"))).getAsJsonArray()) {
            JsonObject r = e.getAsJsonObject();
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
        String out = console.toString(StandardCharsets.UTF_8);
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
