package io.github.ffmreactor.examples;

import io.github.ffmreactor.testutil.Await;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KeyValueExampleTest {
    @Test
    void theGuideExampleWorks() throws Exception {
        int before = FdCount.now();
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (EventLoop loop = EventLoop.open()) {
            Listener l = new KeyValueExample().start(loop, new InetSocketAddress(lo, 0));
            loop.start("kv");
            try (Socket s = new Socket(lo, l.port())) {
                s.setSoTimeout(5000);
                PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                // Two requests in one write: one response line each, in order.
                out.print("SET a 1\nGET a\n");
                out.flush();
                assertEquals("OK", in.readLine());
                assertEquals("VALUE 1", in.readLine());
                out.println("SET t x 50");
                assertEquals("OK", in.readLine());
                out.println("GET t");
                assertEquals("VALUE x", in.readLine());
                Await.until("t to expire", () -> {
                    out.println("GET t");
                    return in.readLine().equals("NONE");
                });
                out.println("SET k v 50");   // overwritten without a ttl: the old timer is cancelled
                out.println("SET k w");
                assertEquals("OK", in.readLine());
                assertEquals("OK", in.readLine());
                // Timers run in deadline order: once a later one has run, the cancelled one would have.
                java.util.concurrent.CountDownLatch later = new java.util.concurrent.CountDownLatch(1);
                loop.schedule(60, java.util.concurrent.TimeUnit.MILLISECONDS, later::countDown);
                assertTrue(later.await(5, java.util.concurrent.TimeUnit.SECONDS));
                out.println("GET k");
                assertEquals("VALUE w", in.readLine());
                out.println("DEL a");
                out.println("GET a");
                out.println("FLY me");
                assertEquals("OK", in.readLine());
                assertEquals("NONE", in.readLine());
                assertEquals("ERR unknown command FLY", in.readLine());
                out.println("SET k v soon"); // a bad TTL is an answer, not a dropped connection
                assertEquals("ERR usage: SET key value [ttl-ms]", in.readLine());
                out.println("GET k");
                assertEquals("VALUE w", in.readLine());
            }
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void theExampleNeedsNoArenaAndNoByteLoop() throws Exception {
        // docs/embedding.md shows this file as it is (DocumentationTest): it must read as plain Java.
        String src = Files.readString(Path.of("src/test/java/io/github/ffmreactor/examples/KeyValueExample.java"));
        assertTrue(!src.contains("Arena") && !src.contains("JAVA_BYTE, i)"), "no Arena, no per-byte loop");
    }

    @Test
    void anOverlongRequestClosesTheConnection() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (EventLoop loop = EventLoop.open()) {
            Listener l = new KeyValueExample().start(loop, new InetSocketAddress(lo, 0));
            loop.start("kv");
            try (Socket s = new Socket(lo, l.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(("SET k " + "v".repeat(5000) + "\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, s.getInputStream().read(), "closed without a reply");
            } catch (java.net.SocketException reset) {
                // Also a close: unread input makes the kernel answer with RST.
            }
        }
    }

    @Test
    void theExampleStaysUnderSixtyLines() throws Exception {
        Path src = Path.of("src/test/java/io/github/ffmreactor/examples/KeyValueExample.java");
        assertTrue(Files.readAllLines(src).size() < 60);
    }
}
