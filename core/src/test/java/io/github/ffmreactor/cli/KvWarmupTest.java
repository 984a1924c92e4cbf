package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.kv.KvConfig;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.testutil.FdCount;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code kv --warmup}: the option's syntax and bounds; the warm-up runs for its budget against a
 * server of its own and leaves no thread, fd or key behind; a warm-up whose loop dies says so;
 * and a server started with it answers correctly from its first request, with an empty store.
 */
@Timeout(120)
@ExtendWith(NoFdLeaks.class)
class KvWarmupTest {
    @AfterEach
    void clear() {
        Faults.clear();
    }

    private static Duration parse(String v) throws Args.BadArgs {
        return KvServer.warmup(Args.parse(new String[] {"--warmup", v}, KvServer.OPTIONS));
    }

    @Test
    void option() throws Exception {
        assertEquals(KvServer.DEFAULT_WARMUP, KvServer.warmup(Args.parse(new String[0], KvServer.OPTIONS)));
        String[][] ok = {{"500ms", "500"}, {"2s", "2000"}, {" 3S ", "3000"}, {"0", "0"}, {"off", "0"}, {"0ms", "0"},
            {"60s", "60000"}, {"60000ms", "60000"}};
        for (String[] k : ok) assertEquals(Duration.ofMillis(Long.parseLong(k[1])), parse(k[0]), k[0]);
        for (String bad : new String[] {"x", "", "s", "ms", "-1s", "1.5s", "2m", "1h", "500", "5 00ms", "61s",
            "60001ms", "9999999999s"}) {
            Args.BadArgs e = assertThrows(Args.BadArgs.class, () -> parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--warmup must be"), e.getMessage());
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"kv", "--warmup", "2m"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true)));
        assertTrue(err.toString().contains("ffmreactor kv: --warmup must be 0|<n>ms|<n>s"), err.toString());
        err.reset();
        assertEquals(2, Main.run(new String[] {"kv", "--train", "--warmup", "1s"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true)));
        assertTrue(err.toString().contains("--warmup does not go with --train"), err.toString());
    }

    private static List<String> warmUpThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("kv-warmup")) names.add(t.getName());
        return names;
    }

    @Test
    void runsForItsBudgetAndLeavesNothingBehind() throws Exception {
        int fds = FdCount.now();
        assertEquals(0, KvTrain.warmUp(KvConfig.defaults(), LoopOptions.defaults(), Trigger.LEVEL, Duration.ZERO));
        long t0 = System.nanoTime();
        long sent = KvTrain.warmUp(KvConfig.defaults(), LoopOptions.defaults(), Trigger.EDGE, Duration.ofMillis(400));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // It ran the load (at least one connection's script of 33 commands), for the budget, then
        // stopped its loop within the grace.
        assertTrue(sent >= 33, "requests sent: " + sent);
        assertTrue(ms >= 400 && ms < 10_000, "took " + ms + " ms for a 400 ms budget");
        assertEquals(List.of(), warmUpThreads());
        FdCount.assertBackTo(fds);
    }

    /**
     * A long budget: the warm-up stops at its request count (one round of every client's batch, the
     * unusual shapes or the slow readers' GETs, and a new client's config query, past it at most),
     * then makes its one-at-a-time PINGs.
     */
    @Test
    void stopsAtItsRequestCount() throws Exception {
        long t0 = System.nanoTime();
        long sent = KvTrain.warmUp(KvConfig.defaults(), LoopOptions.defaults(), Trigger.LEVEL, Duration.ofSeconds(60));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(sent >= KvTrain.WARMUP_REQUESTS + KvTrain.PING_PONGS
                && sent <= KvTrain.WARMUP_REQUESTS + KvTrain.CONNECTIONS * KvTrain.DEPTH
                        + KvTrain.SLOW_READERS * KvTrain.SLOW_GET_COUNT + 6 + KvTrain.PING_PONGS, "sent " + sent);
        assertTrue(ms < 55_000, "took " + ms + " ms");
        assertEquals(List.of(), warmUpThreads());
    }

    /** The warm-up's poller fails (epoll_wait made to return EBADF): an error naming it, nothing left. */
    @Test
    void aWarmUpWhoseLoopDiesSaysSo() throws Exception {
        int fds = FdCount.now();
        Faults.fail(Faults.Call.WAIT, Faults.ANY_FD, 20, Errno.EBADF, 1);
        IOException e = assertThrows(IOException.class, () -> KvTrain.warmUp(KvConfig.defaults(),
                LoopOptions.defaults(), Trigger.LEVEL, Duration.ofSeconds(20)));
        assertTrue(e.getMessage().startsWith("kv --warmup: the server's loop failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertEquals(1, Faults.fired(Faults.Call.WAIT));
        assertEquals(List.of(), warmUpThreads());
        FdCount.assertBackTo(fds);
    }

    private static final Pattern WARMED = Pattern.compile("ffmreactor kv warmed up: (\\d+) requests in (\\d+) ms");

    /**
     * As a user starts it: the warm-up line, then the ready line; no warm-up thread in the process;
     * the first client sees an empty store, gets CLIENT ID 1 and correct replies, and the counters
     * at the stop hold this client's commands only.
     */
    @Test
    void theServerAnswersFromAnEmptyStoreRightAfter() throws Exception {
        try (ServerProcess server = ServerProcess.start("kv", "--port", "0", "--warmup", "300ms")) {
            // Read as the ready line arrives: the warm-up line was printed before it.
            Matcher m = WARMED.matcher(server.output());
            assertTrue(m.find(), server.output());
            assertTrue(Long.parseLong(m.group(1)) >= 33, m.group());
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(server.pid()), "task"))) {
                for (Path t : tasks.toList()) {
                    String name = Files.readString(t.resolve("comm")).strip();
                    assertTrue(!name.startsWith("kv-warmup"), "thread still running: " + name);
                }
            }
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(10_000);
                String ask = "DBSIZE\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\nCLIENT ID\r\n"
                        + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n";
                String want = ":0\r\n$-1\r\n:1\r\n+OK\r\n$1\r\nb\r\n+PONG\r\n";
                s.getOutputStream().write(ask.getBytes(StandardCharsets.US_ASCII));
                assertEquals(want, read(s.getInputStream(), want.length()));
            }
            int code = server.stop();
            assertTrue(code == 0 || code == 143, code + "\n" + server.output());
            assertTrue(server.output().contains("ffmreactor kv counters: commands=6 errors=0 protocolErrors=0 keys=1 "),
                    server.output());
        }
    }

    private static String read(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
