package io.github.ffmreactor.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Await;
import java.io.File;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's embedding example, run as a user runs it: its own JVM, a client, then Ctrl-C (SIGTERM).
 * That the README shows this file as it is: {@code DocumentationTest}.
 */
@Timeout(60)
class EchoExampleTest {
    @Test
    void theReadmeExampleEchoesAndStopsOnSigterm() throws Exception {
        String jvm = ProcessHandle.current().info().command().orElse("java");
        String cp = Path.of("target", "classes").toAbsolutePath() + File.pathSeparator
                + Path.of("target", "test-classes").toAbsolutePath();
        // Output to a file, not a pipe: the JDK closes a process's pipe once it is reaped.
        Path log = Files.createTempFile("echo-example-", ".log");
        Process p = new ProcessBuilder(List.of(jvm, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                EchoExample.class.getName(), "0")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Await.until(Duration.ofSeconds(30), "the example's first line", () -> Files.readString(log).contains("\n"));
            String ready = Files.readAllLines(log).get(0);
            assertTrue(ready.startsWith("echo on port "), ready);
            int port = Integer.parseInt(ready.substring("echo on port ".length()));
            byte[] msg = new byte[100_000];
            new Random(21).nextBytes(msg);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10_000);
                Thread w = Thread.ofVirtual().start(() -> {
                    try {
                        OutputStream o = s.getOutputStream();
                        o.write(msg);
                        o.flush();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] back = s.getInputStream().readNBytes(msg.length);
                w.join();
                assertArrayEquals(msg, back, "echoed bytes differ");
            }
            Await.until("the handler's onClose line", () -> Files.readAllLines(log).size() >= 2);
            try (Socket open = new Socket(InetAddress.getLoopbackAddress(), port)) {
                open.setSoTimeout(10_000);
                open.getOutputStream().write('x');
                assertEquals('x', open.getInputStream().read());
                p.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook asks the loop to stop
                assertEquals(-1, open.getInputStream().read(), "the open connection ends with a FIN, not a reset");
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the example did not stop on SIGTERM");
            }
            assertEquals(143, p.exitValue(), "128 + SIGTERM");
            // The second close is the hook's graceful shutdown at work: without it the JVM halts with no onClose.
            assertEquals(List.of(ready, "closed after 100000 bytes", "closed after 1 bytes"), Files.readAllLines(log),
                    "each handler's own count on close, and nothing else: no warning, no stack trace");
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
