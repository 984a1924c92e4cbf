package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class ConnectTest {
    static List<String> backends() {
        return io.github.ffmreactor.testutil.Backends.loops();
    }

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @ParameterizedTest
    @MethodSource("backends")
    void connectsAndTalks(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            loop.start("connect");
            CompletableFuture<String> got = new CompletableFuture<>();
            Handler h = new Handler() {
                @Override
                public void onOpen(Connection c) {
                    try (Arena a = Arena.ofConfined()) {
                        c.write(a.allocateFrom("hello\n", StandardCharsets.US_ASCII), 0, 6);
                    }
                }

                @Override
                public void onData(Connection c, MemorySegment buf, int len) {
                    got.complete(new String(buf.asSlice(0, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                }
            };
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                    Trigger.LEVEL, h, Duration.ofSeconds(5));
            try (Socket s = server.accept()) {
                Connection c = f.get(5, TimeUnit.SECONDS);
                assertTrue(c.isOpen());
                InputStream in = s.getInputStream();
                byte[] b = new byte[6];
                assertEquals(6, in.readNBytes(b, 0, 6));
                assertEquals("hello\n", new String(b, StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                out.write("back".getBytes(StandardCharsets.US_ASCII));
                assertEquals("back", got.get(5, TimeUnit.SECONDS));
            }
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void refusedConnectIsAClearError(String backend) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            port = s.getLocalPort(); // bound, then closed: nobody listens there now
        }
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            loop.start("refused");
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, port), Trigger.LEVEL,
                    (c, b, n) -> {}, Duration.ofSeconds(5));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            NativeException ne = assertInstanceOf(NativeException.class, e.getCause());
            assertEquals("connect", ne.call());
            assertEquals("ECONNREFUSED", ne.errnoName());
            assertTrue(ne.getMessage().startsWith("connect: ECONNREFUSED (Connection refused)"), ne.getMessage());
            assertTrue(ne.getMessage().contains(":" + port), ne.getMessage());
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void connectTimesOutAndClosesItsSocket(String backend) throws Exception {
        // A listener that never accepts, with its accept queue filled: Linux then drops further
        // SYNs, so a connect hangs in SYN_SENT without leaving loopback.
        int before = FdCount.now();
        int lfd = Tcp.listen(new InetSocketAddress(LOOPBACK, 0), 0, false);
        int completed = 0;
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            InetSocketAddress target = new InetSocketAddress(LOOPBACK, Tcp.localAddress(lfd).getPort());
            loop.start("timeout");
            ExecutionException e = null;
            for (int i = 0; i < 8 && e == null; i++) {
                CompletableFuture<Connection> f = loop.connect(target, Trigger.LEVEL, (c, b, n) -> {},
                        Duration.ofMillis(300));
                try {
                    // Completed: it took the queue's place. It stays open (the loop closes it) and we try again.
                    assertTrue(f.get(5, TimeUnit.SECONDS).isOpen());
                    completed++;
                } catch (ExecutionException x) {
                    e = x;
                }
            }
            assertTrue(e != null, "every connect completed: the kernel did not drop SYNs");
            assertTrue(completed >= 1, "the first connect fits in the accept queue");
            SocketTimeoutException te = assertInstanceOf(SocketTimeoutException.class, e.getCause());
            assertTrue(te.getMessage().contains("300 ms") && te.getMessage().contains("timeout"), te.getMessage());
            TimersTest.onLoop(loop, () -> assertEquals(0, loop.counters.connecting()));
        } finally {
            Fds.closeQuietly(lfd);
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void closingTheLoopDuringAConnectFailsItAndClosesTheSocket(String backend) throws Exception {
        int before = FdCount.now();
        int lfd = Tcp.listen(new InetSocketAddress(LOOPBACK, 0), 0, false);
        try {
            InetSocketAddress target = new InetSocketAddress(LOOPBACK, Tcp.localAddress(lfd).getPort());
            EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
            CompletableFuture<Connection> hanging = null;
            try {
                loop.start("close-during-connect");
                // The accept queue fills (backlog 0: one connection); the next connect hangs in SYN_SENT.
                for (int i = 0; i < 8 && hanging == null; i++) {
                    CompletableFuture<Connection> f = loop.connect(target, Trigger.LEVEL, (c, b, n) -> {}, null);
                    try {
                        f.get(1, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException stillConnecting) {
                        hanging = f;
                    }
                }
                assertTrue(hanging != null, "every connect completed: the kernel did not drop SYNs");
                assertEquals(1, (int) io.github.ffmreactor.testutil.OnLoop.call(loop, () -> loop.counters.connecting()));
            } finally {
                loop.close();
            }
            CompletableFuture<Connection> h = hanging;
            ExecutionException e = assertThrows(ExecutionException.class, () -> h.get(5, TimeUnit.SECONDS));
            assertInstanceOf(java.io.IOException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("the loop closed first"), e.getCause().getMessage());
        } finally {
            Fds.closeQuietly(lfd);
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aConnectAskedBeforeTheLoopRunsCompletesOnceItDoes(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            // Not running yet: the socket is opened here, the connect (io_uring: its CONNECT) goes out at the first turn.
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                    Trigger.LEVEL, (c, b, n) -> {}, Duration.ofSeconds(5));
            loop.start("early-connect");
            try (Socket s = server.accept()) {
                assertTrue(f.get(5, TimeUnit.SECONDS).isOpen());
            }
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aConnectStartedInTheTurnTheLoopStopsFailsAndLeavesNothing(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
            CompletableFuture<CompletableFuture<Connection>> started = new CompletableFuture<>();
            try {
                loop.start("stop-while-connecting");
                loop.execute(() -> {
                    // io_uring: the CONNECT is still queued when the loop closes its channels.
                    started.complete(loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                            Trigger.LEVEL, (c, b, n) -> {}, Duration.ofSeconds(5)));
                    loop.stop();
                });
                assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            } finally {
                loop.close();
            }
            CompletableFuture<Connection> f = started.get(5, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("the loop closed first"), e.getCause().toString());
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void connectsOverIpv6Loopback(String backend) throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        int before = FdCount.now();
        ServerSocket server;
        try {
            server = new ServerSocket(0, 50, v6);
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }
        try (server; EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            loop.start("connect6");
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(v6, server.getLocalPort()),
                    Trigger.LEVEL, (c, b, n) -> {}, Duration.ofSeconds(5));
            try (Socket s = server.accept()) {
                assertTrue(f.get(5, TimeUnit.SECONDS).isOpen());
                assertEquals(v6, s.getInetAddress());
            }
        }
        FdCount.assertBackTo(before);
    }
}
