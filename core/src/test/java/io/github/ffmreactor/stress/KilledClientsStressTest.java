package io.github.ffmreactor.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.ServerProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 8, stress (b): 1,000 client connections (bounded core: 200) whose processes are killed
 * with SIGKILL while data is pending both ways. The server must notice every one (the kernel
 * resets a connection closed with unread input) and close it: fd delta 0.
 */
@Tag("stress")
@EnabledOnOs(OS.LINUX)
@Timeout(300)
class KilledClientsStressTest {
    /** Bytes each connection writes at most (bounded: kernel buffers for 1,000 of them stay small). */
    private static final long PER_CONNECTION = 256 * 1024;

    @ParameterizedTest
    @ValueSource(strings = {"level", "edge"})
    void closesEveryConnectionOfKilledClients(String trigger) throws Exception {
        Stress.assumeEngineTakes(trigger);
        int processes = Stress.size(4, 10);
        int perProcess = Stress.size(50, 100);
        int n = processes * perProcess;
        String name = "b/" + processes + "x" + perProcess + " killed clients/" + trigger;
        List<Process> children = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("echo", "--port", "0", "--trigger", trigger));
        // e.g. -Dffmreactor.stress.serverArgs="--backend io_uring": the same test on another engine.
        String extra = System.getProperty("ffmreactor.stress.serverArgs", "").trim();
        if (!extra.isEmpty()) args.addAll(List.of(extra.split("\\s+")));
        try (ServerProcess s = ServerProcess.start(args.toArray(String[]::new))) {
            Stress.Baseline b = Stress.warmUp(s);
            for (int i = 0; i < processes; i++) {
                children.add(new ProcessBuilder(ServerProcess.java(), "-cp", Path.of("target", "test-classes").toAbsolutePath().toString(),
                        KilledClientsChild.class.getName(), String.valueOf(s.port()), String.valueOf(perProcess),
                        String.valueOf(PER_CONNECTION)).redirectErrorStream(true).start());
            }
            long sent = 0;
            for (Process c : children) {
                BufferedReader out = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine(); // the child writes for at most 30 s, then this line
                assertTrue(line != null && line.startsWith("ready " + perProcess + " "), name + ": child said " + line);
                sent += Long.parseLong(line.split(" ")[2]);
            }
            Await.until(Duration.ofSeconds(30), "server holds all " + n + " connections", () -> s.fds() >= b.fds() + n);
            long rssLoaded = s.rssKiB();
            Stress.report("%s: %d connections open, %d bytes sent unread-back, server fds %d, rss %d KiB",
                    name, n, sent, s.fds(), rssLoaded);
            long t0 = System.nanoTime();
            for (Process c : children) c.destroyForcibly(); // SIGKILL, by pid
            for (Process c : children) {
                assertTrue(c.waitFor(10, TimeUnit.SECONDS), name + ": child did not die");
                assertEquals(137, c.exitValue(), name + ": child killed by SIGKILL");
            }
            Stress.awaitFdsBack(name, s, b);
            Stress.report("%s: server closed all %d within %d ms of the kill", name, n, (System.nanoTime() - t0) / 1_000_000);
            Stress.assertRecovered(name, s, b, 64);
            Stress.assertStopsCleanly(name, s);
        } finally {
            for (Process c : children) c.destroyForcibly();
        }
    }
}
