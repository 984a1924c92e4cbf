package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;

@Timeout(60)
class LoopGroupTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static List<String> backends() {
        return io.github.ffmreactor.testutil.Backends.loops();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> spreads() {
        return io.github.ffmreactor.testutil.Backends.loops().stream().flatMap(b -> java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(b, LoopGroup.Spread.HANDOFF),
                org.junit.jupiter.params.provider.Arguments.of(b, LoopGroup.Spread.REUSEPORT)));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("spreads")
    void connectionsLandOnMoreThanOneLoopAndShutdownClosesEverything(String backend, LoopGroup.Spread spread)
            throws Exception {
        if (spread == LoopGroup.Spread.REUSEPORT) Assumptions.assumeTrue(LoopGroup.reusePortBalances());
        int before = FdCount.now();
        LoopGroup g = LoopGroup.start(4, LoopOptions.defaults().withBackend(Backend.parse(backend)));
        Map<EventLoop, AtomicInteger> perLoop = new ConcurrentHashMap<>();
        List<Listener> ls = g.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, () -> new Handler() {
            @Override
            public void onOpen(Connection c) {
                assertTrue(c.loop().inLoop(), "served on its own loop's thread");
                perLoop.computeIfAbsent(c.loop(), k -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {
                c.write(buf, 0, len);
            }
        }, spread);
        assertEquals(spread == LoopGroup.Spread.REUSEPORT ? 4 : 1, ls.size());
        int port = ls.get(0).port();
        for (Listener l : ls) assertEquals(port, l.port());
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Socket s = new Socket(LOOPBACK, port);
                s.setSoTimeout(5000);
                clients.add(s);
                OutputStream out = s.getOutputStream();
                out.write(new byte[]{(byte) i});
                InputStream in = s.getInputStream();
                assertEquals(i, in.read(), "echo on connection " + i);
            }
            int total = perLoop.values().stream().mapToInt(AtomicInteger::get).sum();
            assertEquals(64, total);
            long loopsUsed = perLoop.values().stream().filter(a -> a.get() > 0).count();
            assertTrue(loopsUsed >= 2, "connections per loop: " + perLoop.values());
            if (spread == LoopGroup.Spread.HANDOFF) {
                // Round-robin: exactly 16 each.
                for (AtomicInteger a : perLoop.values()) assertEquals(16, a.get(), perLoop.values().toString());
            }
            g.shutdown(Duration.ofSeconds(2));
            assertTrue(g.awaitTermination(Duration.ofSeconds(10)), "group terminated");
            // Every server-side connection was closed: each client sees end of stream.
            for (Socket s : clients) assertEquals(-1, s.getInputStream().read());
            // And nothing listens any more.
            assertTrue(refused(port), "listener closed");
        } finally {
            for (Socket s : clients) s.close();
            g.close();
        }
        FdCount.assertBackTo(before);
    }

    private static boolean refused(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 2000);
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("backends")
    void shutdownFlushesPendingOutputBeforeClosing(String backend) throws Exception {
        int before = FdCount.now();
        LoopGroup g = LoopGroup.start(2, LoopOptions.defaults().withBackend(Backend.parse(backend)));
        byte[] big = new byte[4 << 20];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);
        List<Listener> ls = g.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, () -> new Handler() {
            @Override
            public void onOpen(Connection c) {
                // More than the socket buffers hold: most of it waits in the connection's queue.
                try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                    java.lang.foreign.MemorySegment m = a.allocate(big.length);
                    java.lang.foreign.MemorySegment.copy(big, 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, big.length);
                    c.write(m, 0, big.length);
                }
                opened.countDown();
            }

            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {}
        });
        try (Socket s = new Socket(LOOPBACK, ls.get(0).port())) {
            s.setSoTimeout(10_000);
            assertTrue(opened.await(5, java.util.concurrent.TimeUnit.SECONDS));
            g.shutdown(Duration.ofSeconds(10));
            byte[] got = s.getInputStream().readAllBytes();
            assertEquals(big.length, got.length, "every queued byte arrived before the close");
            assertTrue(java.util.Arrays.equals(big, got));
            assertTrue(g.awaitTermination(Duration.ofSeconds(10)));
        } finally {
            g.close();
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("backends")
    void shutdownDropsWhatCannotBeFlushedByTheDeadline(String backend) throws Exception {
        int before = FdCount.now();
        LoopGroup g = LoopGroup.start(2, LoopOptions.defaults().withBackend(Backend.parse(backend)));
        java.util.concurrent.CountDownLatch opened = new java.util.concurrent.CountDownLatch(1);
        List<Listener> ls = g.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL, () -> new Handler() {
            @Override
            public void onOpen(Connection c) {
                try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                    c.write(a.allocate(16 << 20), 0, 16 << 20); // far more than a non-reader's buffers
                }
                opened.countDown();
            }

            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {}
        });
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress(LOOPBACK, ls.get(0).port()));
            assertTrue(opened.await(5, java.util.concurrent.TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            g.shutdown(Duration.ofMillis(300));
            assertTrue(g.awaitTermination(Duration.ofSeconds(10)), "terminated");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // It waited for the deadline (the output could not drain), then dropped it.
            assertTrue(ms >= 250 && ms < 5000, "terminated after " + ms + " ms");
        } finally {
            g.close();
        }
        FdCount.assertBackTo(before);
    }
}
