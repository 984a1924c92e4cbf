package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.Trigger;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(60)
class ServersTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static List<String> backends() {
        return Poller.available();
    }

    /** Every backend a loop opens here, io_uring included (the client connects through it). */
    static List<String> loops() {
        return io.github.ffmreactor.testutil.Backends.loops();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void upperEchoesInUpperCasePerConnection(String backend) throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(io.github.ffmreactor.loop.LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            Listener l = loop.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, UpperServer::handler);
            loop.start("upper");
            try (Socket a = new Socket(LOOPBACK, l.port()); Socket b = new Socket(LOOPBACK, l.port())) {
                a.getOutputStream().write("Hello, World! äz\n".getBytes(StandardCharsets.UTF_8));
                b.getOutputStream().write("second one\r\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("HELLO, WORLD! äZ\n", new String(a.getInputStream().readNBytes(
                        "HELLO, WORLD! äZ\n".getBytes(StandardCharsets.UTF_8).length), StandardCharsets.UTF_8));
                // A long line comes back whole; the unfinished last line comes back at end of input.
                String longLine = "x".repeat(100_000);
                b.getOutputStream().write((longLine + "\nthen no newline").getBytes(StandardCharsets.US_ASCII));
                b.shutdownOutput();
                assertEquals("SECOND ONE\n" + longLine.toUpperCase() + "\nTHEN NO NEWLINE",
                        new String(b.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }
        FdCount.assertBackTo(before);
    }

    /** Lines that arrived whole go back with their newlines, and a packet of them in one write(2) (deferred flush). */
    @Test
    void upperWritesEachWholeLineOnce() throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, UpperServer::handler);
            loop.start("upper");
            int lines = 2000;
            try (Socket a = new Socket(LOOPBACK, l.port())) {
                a.getOutputStream().write("abc\n".repeat(lines).getBytes(StandardCharsets.US_ASCII));
                assertEquals("ABC\n".repeat(lines), new String(a.getInputStream().readNBytes(4 * lines), StandardCharsets.US_ASCII));
            }
            long writes = io.github.ffmreactor.testutil.OnLoop.call(loop, () -> loop.stats().writes());
            assertTrue(writes <= 50, writes + " writes for " + lines + " lines in a few packets");
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("loops")
    void lineClientTalksToAServerAndExitsWhenItCloses(String backend) throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, UpperServer::handler);
            loop.start("upper");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            // Input ends after two lines: the client half-closes, the server flushes and closes.
            int rc = LineClient.run(new InetSocketAddress(LOOPBACK, l.port()), Duration.ofSeconds(5), Backend.parse(backend),
                    new ByteArrayInputStream("one\ntwo words\n".getBytes(StandardCharsets.US_ASCII)),
                    new PrintStream(out, true), new PrintStream(err, true));
            assertEquals(0, rc, err.toString());
            assertEquals("ONE\nTWO WORDS\n", out.toString(StandardCharsets.US_ASCII));
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("loops")
    void lineClientReportsARefusedConnect(String backend) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            port = s.getLocalPort();
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = LineClient.run(new InetSocketAddress(LOOPBACK, port), Duration.ofSeconds(5), Backend.parse(backend),
                new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
        assertEquals(1, rc);
        assertTrue(err.toString().startsWith("ffmreactor client: connect: ECONNREFUSED (Connection refused) to "), err.toString());
    }

    @Test
    void cliKnowsEveryServerAndRejectsBadOptions() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[]{"--help"}, new PrintStream(out, true), new PrintStream(err, true)));
        for (String cmd : List.of("echo", "upper", "chat", "udp-chat", "client")) {
            assertTrue(out.toString().contains("  " + cmd + " "), out.toString());
        }
        assertEquals(2, Main.run(new String[]{"echo", "--loops", "0"}, new PrintStream(out, true), new PrintStream(err, true)));
        assertTrue(err.toString().contains("--loops must be in 1..256"), err.toString());
        assertEquals(2, Main.run(new String[]{"chat", "--loops", "2"}, new PrintStream(out, true), new PrintStream(err, true)));
        assertEquals(2, Main.run(new String[]{"client"}, new PrintStream(out, true), new PrintStream(err, true)));
        assertTrue(err.toString().contains("--port is required"), err.toString());
    }
}
