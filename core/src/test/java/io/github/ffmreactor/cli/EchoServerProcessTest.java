package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The echo command as a user runs it: its own process, a ready line, real bytes, SIGTERM. */
@Timeout(60)
class EchoServerProcessTest {
    private static final Pattern READY = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) backend=(\\w+) trigger=(\\w+)");

    private static Process start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(io.github.ffmreactor.testutil.ServerProcess.jvm());
        cmd.addAll(List.of("-cp", Path.of("target", "classes").toAbsolutePath().toString(), "io.github.ffmreactor.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    @ParameterizedTest
    @ValueSource(strings = {"level", "edge"})
    void servesAndStopsCleanlyOnSigterm(String trigger) throws Exception {
        Process p = start("echo", "--port", "0", "--trigger", trigger);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "no ready line");
            Matcher m = READY.matcher(line);
            assertTrue(m.find(), line);
            assertEquals(trigger, m.group(3));
            int port = Integer.parseInt(m.group(1));
            byte[] msg = new byte[200_000];
            new java.util.Random(3).nextBytes(msg);
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread w = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(msg);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] back = new byte[msg.length];
                new DataInputStream(s.getInputStream()).readFully(back);
                w.join();
                assertArrayEquals(msg, back);
            }
            p.toHandle().destroy(); // SIGTERM, leaving our end of its stdout open
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
            StringBuilder rest = new StringBuilder();
            for (String l; (l = out.readLine()) != null; ) rest.append(l).append('\n');
            assertTrue(rest.toString().contains("ffmreactor echo stopped:") && rest.toString().contains("bytesIn=200000")
                    && rest.toString().contains("bytesOut=200000") && rest.toString().contains("accepts=1"), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void badArgumentsAreClearErrors() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[] {"echo", "--trigger", "sideways"}, o, e));
        assertEquals(2, Main.run(new String[] {"echo", "--port", "70000"}, o, e));
        assertEquals(2, Main.run(new String[] {"echo", "--colour", "red"}, o, e));
        assertEquals(2, Main.run(new String[] {"nosuch"}, o, e));
        String s = err.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("--trigger must be one of level|edge, got 'sideways'"), s);
        assertTrue(s.contains("--port must be in 0..65535, got 70000"), s);
        assertTrue(s.contains("unknown option --colour"), s);
        assertTrue(s.contains("unknown command 'nosuch'"), s);
    }

    @Test
    void portInUseIsReportedByName() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Process p = start("echo", "--port", String.valueOf(taken.getLocalPort()));
            try {
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(1, p.exitValue(), all);
                assertTrue(all.contains("EADDRINUSE"), all);
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
