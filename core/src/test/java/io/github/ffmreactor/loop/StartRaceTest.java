package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.FdCount;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Calls from another thread racing {@code start()}: before any thread owns the loop a caller
 * must not touch the loop's state while the new loop thread does. Every timer scheduled and every
 * connect asked in the race must come out whole: timers run once, connects complete.
 */
@Timeout(120)
class StartRaceTest {
    static List<String> backends() {
        return Backends.loops();
    }

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int TIMERS = 200, CONNECTS = 4, ROUNDS = 40;

    static List<String> pollers() {
        return Backends.names();
    }

    /**
     * A slow call made on the caller's thread before the loop had one (opening a UDP socket with
     * 16 MiB of batch buffers) while start() runs: the socket must still be served. On the
     * poll and select backends a registration made by another thread behind the loop's back,
     * while it blocks in its wait, is never seen by that wait.
     */
    @ParameterizedTest
    @MethodSource("pollers")
    void aSocketOpenedRacingStartIsServed(String backend) throws Exception {
        int before = FdCount.now();
        for (int round = 0; round < 5; round++) {
            CyclicBarrier go = new CyclicBarrier(2);
            CompletableFuture<Datagram> opened = new CompletableFuture<>();
            try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
                 java.net.DatagramSocket client = new java.net.DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                Thread caller = Thread.ofPlatform().start(() -> {
                    try {
                        go.await(10, TimeUnit.SECONDS);
                        opened.complete(loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                                DatagramOptions.defaults().withBatch(256), (ch, buf, len, from) -> ch.sendTo(buf, 0, len, from)));
                    } catch (Throwable e) {
                        opened.completeExceptionally(e);
                    }
                });
                go.await(10, TimeUnit.SECONDS);
                loop.start("open-race-" + round);
                Datagram d = opened.get(10, TimeUnit.SECONDS);
                caller.join(10_000);
                client.setSoTimeout(3000);
                byte[] msg = {1, 2, 3};
                client.send(new java.net.DatagramPacket(msg, 3, LOOPBACK, d.localAddress().getPort()));
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8], 8);
                try {
                    client.receive(p);
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("round " + round + ": the socket opened while the loop started is never served", e);
                }
                assertEquals(3, p.getLength());
            }
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void scheduleAndConnectRacingStartAllComplete(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 1000, LOOPBACK)) {
            InetSocketAddress target = new InetSocketAddress(LOOPBACK, server.getLocalPort());
            List<Socket> accepted = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicInteger fired = new AtomicInteger();
                List<CompletableFuture<Connection>> connects = new ArrayList<>();
                CyclicBarrier go = new CyclicBarrier(2);
                CountDownLatch callerDone = new CountDownLatch(1);
                try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
                    Thread caller = Thread.ofPlatform().start(() -> {
                        try {
                            go.await(10, TimeUnit.SECONDS);
                            for (int i = 0; i < TIMERS; i++) {
                                loop.schedule(i % 3, TimeUnit.MILLISECONDS, fired::incrementAndGet);
                                if (i % (TIMERS / CONNECTS) == 0) {
                                    connects.add(loop.connect(target, Trigger.LEVEL, (c, b, n) -> {}, Duration.ofSeconds(10)));
                                }
                            }
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        } finally {
                            callerDone.countDown();
                        }
                    });
                    go.await(10, TimeUnit.SECONDS);
                    loop.start("start-race-" + round);
                    assertTrue(callerDone.await(10, TimeUnit.SECONDS));
                    caller.join(10_000);
                    int r = round;
                    io.github.ffmreactor.testutil.Await.until("round " + r + ": every timer fired, " + fired.get() + " of " + TIMERS,
                            () -> fired.get() == TIMERS);
                    for (CompletableFuture<Connection> f : connects) assertTrue(f.get(10, TimeUnit.SECONDS).isOpen());
                    for (int i = 0; i < connects.size(); i++) accepted.add(server.accept());
                    assertEquals(TIMERS, fired.get(), "a timer fired twice");
                }
                for (Socket s : accepted) s.close();
                accepted.clear();
            }
        }
        FdCount.assertBackTo(before);
    }
}
