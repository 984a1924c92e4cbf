package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.FdCount;
import io.github.ffmreactor.testutil.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a new user does first, to the servers as processes started with {@code --backend B}, on every
 * readiness backend here (kqueue too when it is emulated: -Dffmreactor.kqueue.library): a 1 MiB echo,
 * a half-close with 8 MiB in flight, 1,000 connections of which 100 are reset mid-stream, a peer that
 * sends and never reads, and {@code kv --trigger edge} answering a 16 MiB GET to a client that
 * half-closes right after asking. (A refused connect: ServersTest.lineClientReportsARefusedConnect.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FirstContactTest {
    static List<String> backends() {
        return Poller.available();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} from another thread, then half-closes; returns everything read until EOF. */
    private static byte[] sendHalfCloseAndReadAll(Socket s, byte[] data) throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread w = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += 64 * 1024) out.write(data, off, Math.min(64 * 1024, data.length - off));
                s.shutdownOutput();
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream(data.length);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
        w.join(Duration.ofSeconds(30));
        if (failed.get() != null) throw new AssertionError("writer failed", failed.get());
        return got.toByteArray();
    }

    @ParameterizedTest @MethodSource("backends")
    void echoServerSurvivesWhatUsersTryFirst(String backend) throws Exception {
        assumeTrue(FdCount.supported(), "reads /proc/PID");
        try (ServerProcess server = ServerProcess.start("echo", "--port", "0", "--backend", backend)) {
            assertTrue(server.readyLine().contains("backend=" + backend), server.readyLine());
            int port = server.port();
            int fdsIdle = server.fds();

            // 1 MiB echoed whole, then 8 MiB with a half-close right behind it: all back, then EOF.
            for (int size : new int[] {1 << 20, 8 << 20}) {
                byte[] data = random(size, size);
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(30_000);
                    assertArrayEquals(data, sendHalfCloseAndReadAll(s, data), size + " bytes, half-closed after");
                }
            }

            // 1,000 connections; each sends and gets its bytes back, 100 are reset mid-stream.
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    Socket s = new Socket();
                    open.add(s);
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    s.setSoTimeout(30_000);
                }
                byte[] msg = random(4096, 7);
                for (Socket s : open) s.getOutputStream().write(msg);
                for (int i = 0; i < open.size(); i++) {
                    Socket s = open.get(i);
                    if (i % 10 == 0) {
                        s.getOutputStream().write(random(256 * 1024, i)); // the server is mid-echo...
                        s.setSoLinger(true, 0); // ...when the peer resets
                        s.close();
                    } else {
                        byte[] back = new byte[msg.length];
                        new DataInputStream(s.getInputStream()).readFully(back);
                        assertArrayEquals(msg, back, "connection " + i);
                    }
                }
            } finally {
                for (Socket s : open) s.close();
            }
            backToIdleFds(server, fdsIdle);

            // A peer that sends and never reads: bounded by the output budget, not by memory.
            long rss0 = server.rssKiB();
            long written = 0;
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ch.configureBlocking(false);
                ByteBuffer chunk = ByteBuffer.wrap(random(64 * 1024, 3));
                long lastProgress = System.nanoTime();
                while (System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(2) && written < (256L << 20)) {
                    chunk.clear();
                    int n = ch.write(chunk);
                    if (n > 0) {
                        written += n;
                        lastProgress = System.nanoTime();
                    } else {
                        Thread.sleep(5); // pacing a non-blocking writer that has nothing to do
                    }
                }
                assertTrue(written < (64L << 20), "the server stopped reading a peer that never reads; it took "
                        + (written >> 20) + " MiB");
                long grew = server.rssKiB() - rss0;
                assertTrue(grew < 64 * 1024, "server RSS grew by " + grew + " KiB");
                server.assertEchoes(100_000);
            }
            backToIdleFds(server, fdsIdle);
            stopsCleanly(server);
        }
    }

    private static void backToIdleFds(ServerProcess server, int idle) throws Exception {
        try {
            // At most: a leak is a count above the idle one. Below it (seen once in CI: 7 against 8 on
            // poll) the idle count was taken while the JVM held a transient fd of its own.
            Await.until(Duration.ofSeconds(20), "the server back to its idle fds (" + idle + ")", () -> server.fds() <= idle);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": it has " + server.fds() + "\n" + server.output(), e);
        }
    }

    /** SIGTERM: an orderly stop with its counters line (the JVM reports a SIGTERM stop as 143). */
    private static void stopsCleanly(ServerProcess server) throws InterruptedException {
        int code = server.stop();
        assertTrue((code == 0 || code == 143) && server.output().contains("stopped:"), code + "\n" + server.output());
    }

    @ParameterizedTest @MethodSource("backends")
    void kvAnswersA16MiBGetToAClientThatHalfClosesRightAfterAsking(String backend) throws Exception {
        try (Poller p = Poller.open(backend)) {
            assumeTrue(p.capabilities().supports(io.github.ffmreactor.Trigger.EDGE), backend + " has no edge triggering");
        }
        try (ServerProcess server = ServerProcess.start("kv", "--port", "0", "--backend", backend, "--trigger", "edge")) {
            byte[] value = random(16 << 20, 16);
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write(("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(value);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] ok = new byte[5];
                in.readFully(ok);
                assertEquals("+OK\r\n", new String(ok, StandardCharsets.US_ASCII));
            }
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(30_000);
                byte[] ask = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".getBytes(StandardCharsets.US_ASCII);
                byte[] reply = sendHalfCloseAndReadAll(s, ask);
                byte[] head = ("$" + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
                assertEquals(head.length + value.length + 2, reply.length, "the whole reply, then EOF");
                assertArrayEquals(head, java.util.Arrays.copyOf(reply, head.length));
                assertArrayEquals(value, java.util.Arrays.copyOfRange(reply, head.length, head.length + value.length));
            }
            stopsCleanly(server);
        }
    }
}
