package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Backend;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The line client against servers that read slowly or leave while stdin still comes. */
@Timeout(60)
class LineClientHostileTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** {@code n} zero bytes, or endless when {@code n} is negative. */
    private static InputStream zeros(long n) {
        return new InputStream() {
            long left = n;

            @Override
            public int read() {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) return -1;
                int k = left < 0 ? len : (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + k, (byte) 0);
                if (left > 0) left -= k;
                return k;
            }
        };
    }

    /**
     * 24 MiB of stdin to a server that reads, but slower than stdin comes. The client used to queue
     * all of it at once, pass the loop's 16 MiB {@code closeAbove} and fail with "the peer is not
     * reading"; it now stops reading stdin while 1 MiB waits, and everything arrives.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("io.github.ffmreactor.testutil.Backends#loops")
    void aSlowReaderGetsAllOfStdin(String backend) throws Exception {
        long total = 24L << 20;
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            CompletableFuture<Long> got = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] b = new byte[16 * 1024];
                    long n = 0;
                    for (int r; (r = in.read(b)) > 0; ) {
                        n += r;
                        Thread.sleep(1); // a slow reader: 16 KiB a millisecond at most
                    }
                    got.complete(n);
                } catch (Exception e) {
                    got.completeExceptionally(e);
                }
            });
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = LineClient.run(new InetSocketAddress(LOOPBACK, server.getLocalPort()), Duration.ofSeconds(5),
                    Backend.parse(backend), zeros(total), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
            assertEquals(0, rc, err.toString());
            assertEquals(total, got.get(30, TimeUnit.SECONDS));
        }
    }

    /**
     * A server that closes at once while stdin keeps coming: the client exits 0, and its stdin
     * thread ends quietly. It used to die with RejectedExecutionException ("event loop has
     * terminated"), printed as a stack trace on stderr.
     */
    @Test
    void aServerThatClosesAtOnceWhileStdinComesEndsQuietly() throws Exception {
        AtomicReference<Throwable> uncaught = new AtomicReference<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.compareAndSet(null, e));
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    server.accept().close();
                } catch (Exception ignored) {
                    // the test fails on the client's side
                }
            });
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = LineClient.run(new InetSocketAddress(LOOPBACK, server.getLocalPort()), Duration.ofSeconds(5), Backend.AUTO,
                    zeros(-1), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
            assertEquals(0, rc, err.toString());
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("ffmreactor-client-stdin")) {
                    t.join(10_000);
                    assertFalse(t.isAlive(), "the client's stdin thread still runs after the client ended");
                }
            }
            assertNull(uncaught.get(), () -> "stdin thread died with " + uncaught.get());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    /**
     * Stdout fails (the reader of the pipe left, as in {@code client | head -1}) while the echo
     * server keeps answering endless stdin: the client stops with exit 1 and says why. It used to
     * run on for ever, a PrintStream swallowing the write errors.
     */
    @Test
    void aClosedStdoutStopsTheClient() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, () -> EchoServer.ECHO);
            loop.start("echo");
            OutputStream closedAfter1KiB = new OutputStream() {
                long n;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    n += len;
                    if (n > 1024) throw new IOException("Broken pipe");
                }
            };
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CompletableFuture<Integer> rc = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    rc.complete(LineClient.run(new InetSocketAddress(LOOPBACK, l.port()), Duration.ofSeconds(5), Backend.AUTO,
                            zeros(-1), new PrintStream(closedAfter1KiB), new PrintStream(err, true)));
                } catch (Throwable t) {
                    rc.completeExceptionally(t);
                }
            });
            assertEquals(1, (int) rc.get(10, TimeUnit.SECONDS), err.toString());
            assertTrue(err.toString().contains("stdout is closed"), err.toString());
        }
    }
}
