package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.OnLoop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP over the loop on this OS's default backend, with nothing OS-specific in the test itself
 * (no /proc, no pipes, no edge triggering): the test a Windows runner runs to exercise
 * WinSelectPoller with the net layer's Winsock branch (accept, recv, send, non-blocking connect,
 * SO_ERROR, shutdown, closesocket). On Linux it runs on epoll.
 */
@Timeout(60)
class LoopbackTcpTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void echoesSmallMessagesAndABurst() throws Exception {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (EventLoop loop = EventLoop.open()) {
            loop.onError((c, t) -> errors.add(t));
            Listener l = loop.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, () -> EchoServer.ECHO);
            loop.start("loopback-echo-" + loop.backend());
            try (Socket s = new Socket(LOOPBACK, l.port())) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                Random rnd = new Random(42);
                for (int i = 0; i < 500; i++) {
                    byte[] msg = new byte[1 + rnd.nextInt(2000)];
                    rnd.nextBytes(msg);
                    out.write(msg);
                    assertArrayEquals(msg, in.readNBytes(msg.length), "round trip " + i);
                }
                // 4 MiB written by a second thread while this one reads: the server's writes hit
                // a full send buffer, queue, and flush on writability.
                byte[] burst = new byte[4 << 20];
                rnd.nextBytes(burst);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        out.write(burst);
                        s.shutdownOutput();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] back = in.readNBytes(burst.length);
                writer.get(30, TimeUnit.SECONDS);
                assertArrayEquals(burst, back);
                assertEquals(-1, in.read(), "server closes after our FIN and its flush");
            }
            Await.until("the connection to close: " + loop.stats(), () -> loop.stats().open() == 0);
            assertTrue(loop.stats().accepts() >= 1);
        }
        assertEquals(List.of(), errors);
    }

    @Test
    void connectsTalksAndShutsDownOutput() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             EventLoop loop = EventLoop.open()) {
            loop.start("loopback-connect-" + loop.backend());
            CompletableFuture<String> got = new CompletableFuture<>();
            CompletableFuture<Boolean> inputClosed = new CompletableFuture<>();
            Handler h = new Handler() {
                @Override
                public void onOpen(Connection c) {
                    try (Arena a = Arena.ofConfined()) {
                        c.write(a.allocateFrom("hello\n", StandardCharsets.US_ASCII), 0, 6);
                    }
                }

                @Override
                public void onData(Connection c, MemorySegment buf, int len) {
                    got.complete(new String(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                    try {
                        c.shutdownOutput();
                    } catch (NativeException e) {
                        got.completeExceptionally(e);
                    }
                }

                @Override
                public void onInputClosed(Connection c) {
                    inputClosed.complete(true);
                    c.close();
                }
            };
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                    Trigger.LEVEL, h, Duration.ofSeconds(10));
            try (Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                Connection c = f.get(10, TimeUnit.SECONDS);
                assertEquals(s.getRemoteSocketAddress(), OnLoop.call(loop, c::localAddress));
                assertEquals("hello\n", new String(s.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));
                s.getOutputStream().write("back".getBytes(StandardCharsets.US_ASCII));
                assertEquals("back", got.get(10, TimeUnit.SECONDS));
                assertEquals(-1, s.getInputStream().read(), "the loop's shutdownOutput is a FIN");
                s.shutdownOutput();
                assertTrue(inputClosed.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void refusedConnectFailsWithECONNREFUSED() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            port = s.getLocalPort(); // bound, then closed: nobody listens there now
        }
        try (EventLoop loop = EventLoop.open()) {
            loop.start("loopback-refused-" + loop.backend());
            // Windows retries a refused SYN for about two seconds before it reports the failure.
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, port), Trigger.LEVEL,
                    (c, b, n) -> {}, Duration.ofSeconds(20));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
            NativeException ne = assertInstanceOf(NativeException.class, e.getCause());
            assertEquals("connect", ne.call());
            assertEquals("ECONNREFUSED", ne.errnoName());
        }
    }
}
