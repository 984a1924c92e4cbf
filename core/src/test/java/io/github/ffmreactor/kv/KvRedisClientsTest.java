package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.ServerProcess;
import io.github.ffmreactor.testutil.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code kv} server as a process, driven by Redis's own clients: redis-cli for every command
 * (errors and pipelined input included) and redis-benchmark for a short load. They come from
 * Debian's redis-tools, which {@code .ci/run} installs; where they are missing the tests say so and
 * skip, or fail where {@code FFMREACTOR_REQUIRE_TOOLS} is set (CI).
 */
@Timeout(180)
class KvRedisClientsTest {
    @BeforeAll
    static void redisToolsInstalled() {
        Tools.require("apt-get install redis-tools; .ci/run does", "redis-cli", "redis-benchmark");
    }

    record Run(int exit, String out) {}

    /** Runs a client (bounded), {@code stdin} fed to it, stdout and stderr together. */
    static Run run(String stdin, String... cmd) throws Exception {
        Path out = Files.createTempFile("kv-client", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                try (var in = p.getOutputStream()) {
                    if (stdin != null) in.write(stdin.getBytes(StandardCharsets.ISO_8859_1));
                }
                if (!p.waitFor(120, TimeUnit.SECONDS)) throw new AssertionError(String.join(" ", cmd) + ": still running after 120 s");
                return new Run(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1));
            } finally {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static String cli(ServerProcess s, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(s.port())));
        cmd.addAll(List.of(args));
        Run r = run(null, cmd.toArray(String[]::new));
        assertEquals(0, r.exit(), "redis-cli " + String.join(" ", args) + ": " + r.out());
        return r.out();
    }

    /** Stops the server (SIGTERM) and returns its counters line. */
    static String stop(ServerProcess s) throws Exception {
        int code = s.stop();
        // The JVM reports a SIGTERM stop as 143 (128 + 15) even when main returns 0 meanwhile.
        assertTrue(code == 0 || code == 143, "exit code " + code + " after SIGTERM\n" + s.output());
        Await.until("the counters line", () -> s.output().contains("ffmreactor kv counters:"));
        Matcher m = Pattern.compile("ffmreactor kv counters: (.*)").matcher(s.output());
        assertTrue(m.find(), s.output());
        return m.group(1);
    }

    @Test
    void everyCommandThroughRedisCli() throws Exception {
        try (ServerProcess s = ServerProcess.start("kv")) {
            // redis-cli prints replies raw when its output is not a terminal: nil as an empty line,
            // errors without "(error)" and followed by an empty line (as it does with redis-server).
            assertEquals("PONG\n", cli(s, "PING"));
            assertEquals("hello world\n", cli(s, "PING", "hello world"));
            assertEquals("a b\n", cli(s, "ECHO", "a b"));
            assertEquals("\n", cli(s, "GET", "k"));
            assertEquals("OK\n", cli(s, "SET", "k", "v"));
            assertEquals("v\n", cli(s, "GET", "k"));
            assertEquals("\n", cli(s, "SET", "k", "w", "NX"));
            assertEquals("OK\n", cli(s, "SET", "t", "v", "PX", "100000"));
            assertEquals("ERR syntax error\n\n", cli(s, "SET", "k", "v", "EX"));
            assertEquals("ERR invalid expire time in 'set' command\n\n", cli(s, "SET", "k", "v", "EX", "0"));
            assertEquals("ERR value is not an integer or out of range\n\n", cli(s, "SET", "k", "v", "EX", "x"));
            assertEquals("2\n", cli(s, "EXISTS", "k", "t", "nope"));
            assertEquals("1\n", cli(s, "INCR", "n"));
            assertEquals("2\n", cli(s, "INCR", "n"));
            assertEquals("ERR value is not an integer or out of range\n\n", cli(s, "INCR", "k"));
            assertEquals("OK\n", cli(s, "MSET", "a", "1", "b", "2"));
            assertEquals("1\n\n2\n", cli(s, "MGET", "a", "x", "b"));
            assertEquals("ERR wrong number of arguments for 'mset' command\n\n", cli(s, "MSET", "a"));
            assertEquals("3\n", cli(s, "DEL", "a", "b", "k", "x"));
            assertEquals("ERR wrong number of arguments for 'get' command\n\n", cli(s, "GET"));
            assertEquals("ERR unknown command 'NOPE', with args beginning with: 'x' 'y' \n\n", cli(s, "NOPE", "x", "y"));
            assertEquals("save\n\nappendonly\nno\n", cli(s, "CONFIG", "GET", "save", "appendonly"));
            assertEquals(Commands.ALL.size() + "\n", cli(s, "COMMAND", "COUNT"));
            assertEquals("\n", cli(s, "COMMAND", "DOCS"));
            assertEquals("OK\n", cli(s, "QUIT"));
            String counters = stop(s);
            assertTrue(counters.contains("protocolErrors=0"), counters);
            assertTrue(counters.contains("errors=7"), counters);
            assertTrue(counters.contains("outputLimitCloses=0"), counters);
        }
    }

    @Test
    void commandsPipedThroughRedisCliStdin() throws Exception {
        try (ServerProcess s = ServerProcess.start("kv", "--trigger", "edge")) {
            StringBuilder in = new StringBuilder(), want = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                in.append("SET key").append(i).append(" value").append(i).append('\n');
                in.append("INCR counter\n");
                in.append("GET key").append(i).append('\n');
                want.append("OK\n").append(i + 1).append('\n').append("value").append(i).append('\n');
            }
            in.append("BOGUS 1\n");
            want.append("ERR unknown command 'BOGUS', with args beginning with: '1' \n\n");
            Run r = run(in.toString(), "redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(s.port()));
            assertEquals(0, r.exit(), r.out());
            assertEquals(want.toString(), r.out());
            stop(s);
        }
    }

    /** {@code redis-cli --pipe}: raw RESP, all sent before replies are read (mass insertion, as Redis documents it). */
    @Test
    void massInsertionWithRedisCliPipe() throws Exception {
        try (ServerProcess s = ServerProcess.start("kv")) {
            StringBuilder in = new StringBuilder();
            int n = 20_000;
            for (int i = 0; i < n; i++) in.append(KvServerTest.cmd("SET", "key:" + i, "v".repeat(i % 50)));
            Run r = run(in.toString(), "redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(s.port()), "--pipe");
            assertEquals(0, r.exit(), r.out());
            assertTrue(r.out().contains("errors: 0, replies: " + n), r.out());
            assertEquals("v".repeat(49) + "\n", cli(s, "GET", "key:" + 49));
            String counters = stop(s);
            assertTrue(counters.contains("keys=" + n), counters);
        }
    }

    private static final Pattern RESULT = Pattern.compile("^\\s*(PING_INLINE|PING_MBULK|SET|GET): ([0-9.]+) requests per second",
            Pattern.MULTILINE);

    /**
     * A short redis-benchmark run: every test completes, every request is answered, no error;
     * then connections that land on any loop see one store.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--loops 1 --trigger level", "--loops 2 --trigger edge"})
    void redisBenchmarkRunsCleanly(String options) throws Exception {
        try (ServerProcess s = ServerProcess.start(("kv " + options).split(" "))) {
            int n = 2000;
            long total = 0;
            for (String[] shape : new String[][] {{"-c", "4", "-P", "16"}, {"-c", "50", "-P", "1"}}) {
                List<String> cmd = new ArrayList<>(List.of("redis-benchmark", "-h", "127.0.0.1", "-p",
                        Integer.toString(s.port()), "-q", "-n", Integer.toString(n), "-t", "ping,set,get"));
                cmd.addAll(List.of(shape));
                Run r = run(null, cmd.toArray(String[]::new));
                assertEquals(0, r.exit(), r.out());
                assertTrue(!r.out().contains("rror") && !r.out().contains("WARNING"), r.out());
                Matcher m = RESULT.matcher(r.out());
                List<String> tests = new ArrayList<>();
                while (m.find()) {
                    tests.add(m.group(1));
                    assertTrue(Double.parseDouble(m.group(2)) > 0, r.out());
                }
                assertEquals(List.of("PING_INLINE", "PING_MBULK", "SET", "GET"), tests, r.out());
                total += 4L * n + 2; // and its two CONFIG GETs
            }
            // One store for every loop: each redis-cli is a new connection, on whichever loop takes it.
            for (int i = 1; i <= 12; i++) {
                assertEquals(i + "\n", cli(s, "INCR", "shared"));
                assertEquals("OK\n", cli(s, "SET", "k" + i, "v" + i));
                assertEquals("v" + i + "\nv" + i + "\n", cli(s, "MGET", "k" + i, "k" + i));
            }
            total += 36;
            String counters = stop(s);
            assertTrue(counters.startsWith("commands=" + total + " errors=0 protocolErrors=0"), counters + " (want " + total + ")");
        }
    }

    /**
     * The memory case, as a user runs kv: 20 clients GET a 16 MiB value and never read.
     * The value goes out by reference a chunk at a time, so the server's RSS grows by at most
     * 64 MiB (Redis 7.0 grows by 128 MiB here: a copy per reader, up to its limit).
     */
    @Test
    void twentyNonReadersOfA16MiBValueGrowTheServerBy64MiBAtMost() throws Exception {
        try (ServerProcess s = ServerProcess.start("kv")) {
            int size = 16 << 20;
            byte[] value = new byte[size];
            java.util.Arrays.fill(value, (byte) 'v');
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", s.port())) {
                c.setSoTimeout(30_000);
                var o = c.getOutputStream();
                o.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
                o.write(value);
                o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("+OK\r\n", new String(c.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
                // One whole GET first: the reply path is warm and its buffers exist before the baseline.
                o.write(KvServerTest.cmd("GET", "big").getBytes(StandardCharsets.US_ASCII));
                c.getInputStream().readNBytes(size + 12);
            }
            long before = s.rssKiB();
            List<java.net.Socket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    java.net.Socket r = new java.net.Socket("127.0.0.1", s.port());
                    r.setReceiveBufferSize(64 * 1024);
                    r.getOutputStream().write(KvServerTest.cmd("GET", "big").getBytes(StandardCharsets.US_ASCII));
                    readers.add(r);
                }
                Await.until("every reader has reply bytes waiting", () -> {
                    for (java.net.Socket r : readers) if (r.getInputStream().available() < 32 * 1024) return false;
                    return true;
                });
                long after = s.rssKiB();
                System.out.printf("[kv] 20 non-readers of 16 MiB: RSS %d -> %d KiB (+%d KiB)%n", before, after, after - before);
                assertTrue(after - before <= 64 * 1024, "RSS grew by " + (after - before) + " KiB");
                assertEquals("PONG\n", cli(s, "PING"));
            } finally {
                for (java.net.Socket r : readers) r.close();
            }
            stop(s);
        }
    }
}
