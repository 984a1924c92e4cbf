package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --wait} on every server command: bad values are clear errors, good ones run the server. */
@Timeout(60)
class WaitFlagTest {
    private static final Pattern PORT = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @ParameterizedTest
    @ValueSource(strings = {"echo", "upper", "chat", "udp-chat", "kv"})
    void badValuesAreRejectedSayingWhatIsTaken(String command) throws Exception {
        for (String bad : List.of("fast", "spin-then-park", "spin-then-park:10", "spin-then-park:0ms")) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = Main.run(new String[] {command, "--wait", bad}, new PrintStream(new ByteArrayOutputStream(), true),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            String s = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, rc, s);
            assertTrue(s.contains("--wait: ") && s.contains("'" + bad + "'"), s);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main.run(new String[] {command, "--wait", "sleepy"}, new PrintStream(new ByteArrayOutputStream(), true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(
                "--wait: wait strategy must be block|spin|spin-then-park:<duration>|backoff[:<max-park>] (e.g. spin-then-park:50us), got 'sleepy'"),
                err.toString(StandardCharsets.UTF_8));
    }

    /**
     * kv spins 10 us after its last work unless --wait says otherwise, says so on its banner,
     * answers, and idle it sleeps: a second without clients costs it no more than scheduling noise.
     */
    @ParameterizedTest
    @CsvSource({"'', spin-then-park:10us", "block, block", "spin-then-park:1ms, spin-then-park:1ms"})
    void kvWaitsSpinThenParkUnlessToldOtherwiseAndSleepsWhenIdle(String given, String expected) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", Path.of("target", "classes").toAbsolutePath().toString(), "io.github.ffmreactor.cli.Main",
                "kv", "--port", "0"));
        if (!given.isEmpty()) cmd.addAll(List.of("--wait", given));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "no ready line");
            assertTrue(expected.equals("block") ? !line.contains(" wait=") : line.contains(" wait=" + expected), line);
            Matcher m = PORT.matcher(line);
            assertTrue(m.find(), line);
            try (Socket s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
                s.setSoTimeout(10_000);
                for (int i = 0; i < 1000; i++) {
                    s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("+PONG\r\n", new String(s.getInputStream().readNBytes(7), StandardCharsets.US_ASCII));
                }
            }
            // Idle: the loop blocks once its spin window has passed (JIT and GC threads may still run a little).
            Duration before = p.toHandle().info().totalCpuDuration().orElseThrow();
            Thread.sleep(1000);
            Duration idle = p.toHandle().info().totalCpuDuration().orElseThrow().minus(before);
            assertTrue(idle.toMillis() < 200, "idle kv used " + idle.toMillis() + " ms of CPU in 1 s");
            p.toHandle().destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
    }

    @ParameterizedTest
    @CsvSource({"echo, spin", "upper, spin-then-park:50us", "chat, spin", "udp-chat, spin-then-park:2ms"})
    void serversRunWithTheStrategyAndSayIt(String command, String wait) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", Path.of("target", "classes").toAbsolutePath().toString(), "io.github.ffmreactor.cli.Main",
                command, "--port", "0", "--wait", wait));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "no ready line");
            assertTrue(line.contains(" wait=" + wait), line);
            Matcher m = PORT.matcher(line);
            assertTrue(m.find(), line);
            if (command.equals("echo") || command.equals("upper")) {
                try (Socket s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
                    String back = new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII);
                    assertEquals(command.equals("echo") ? "ping\n" : "PING\n", back);
                }
            }
            p.toHandle().destroy(); // SIGTERM: a spinning loop must still see the shutdown task
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
    }
}
