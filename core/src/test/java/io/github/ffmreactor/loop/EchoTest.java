package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.Await;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.ffmreactor.NativeException;

/** The echo server over every backend and trigger this OS offers. */
@Timeout(60)
@ExtendWith(NoFdLeaks.class)
class EchoTest {
    static List<org.junit.jupiter.params.provider.Arguments> backends() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    private static LoopRunner echo(String backend, Trigger t) throws Exception {
        return new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), t, () -> EchoServer.ECHO);
    }

    /** Writes msg on one virtual thread while reading the echo on another (large messages need both). */
    static byte[] roundTrip(Socket s, byte[] msg) throws Exception {
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> w = ex.submit(() -> {
                s.getOutputStream().write(msg);
                return null;
            });
            byte[] back = new byte[msg.length];
            new DataInputStream(s.getInputStream()).readFully(back);
            w.get(30, TimeUnit.SECONDS);
            return back;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void manyClientsMessagesFromOneByteToOneMebibyte(String backend, Trigger trigger) throws Exception {
        int[] sizes = {1, 2, 63, 64, 1000, 4096, 65_535, 65_536, 65_537, 300_000, 1 << 20};
        try (LoopRunner r = echo(backend, trigger); ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 24; c++) {
                int seed = c;
                done.add(clients.submit(() -> {
                    Random rnd = new Random(seed);
                    try (Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
                        for (int i = 0; i < sizes.length; i++) {
                            byte[] msg = new byte[sizes[(i + seed) % sizes.length]];
                            rnd.nextBytes(msg);
                            assertArrayEquals(msg, roundTrip(s, msg), "client " + seed + " size " + msg.length);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(50, TimeUnit.SECONDS);
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
            LoopStats st = r.loop.stats();
            assertEquals(24, st.accepts());
            assertEquals(st.bytesIn(), st.bytesOut());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void halfCloseGetsEverythingBackThenEndOfStream(String backend, Trigger trigger) throws Exception {
        try (LoopRunner r = echo(backend, trigger)) {
            for (int round = 0; round < 20; round++) {
                try (Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
                    byte[] msg = new byte[1000 + round * 5000];
                    new Random(round).nextBytes(msg);
                    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                        Future<byte[]> back = ex.submit(() -> s.getInputStream().readAllBytes());
                        OutputStream out = s.getOutputStream();
                        out.write(msg);
                        s.shutdownOutput();
                        assertArrayEquals(msg, back.get(20, TimeUnit.SECONDS), "all bytes, then EOF");
                    }
                }
            }
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void clientResetClosesOnlyThatConnection(String backend, Trigger trigger) throws Exception {
        try (LoopRunner r = echo(backend, trigger);
             Socket steady = new Socket(r.address().getAddress(), r.address().getPort())) {
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket(r.address().getAddress(), r.address().getPort());
                s.getOutputStream().write(new byte[50_000]);
                s.setSoLinger(true, 0); // close sends RST
                s.close();
            }
            byte[] msg = "still here".getBytes();
            assertArrayEquals(msg, roundTrip(steady, msg));
            Await.until("only the steady connection open", () -> r.loop.stats().open() <= 1);
            assertEquals(1, r.loop.stats().open(), "reset connections are closed, the steady one is not");
            assertArrayEquals(msg, roundTrip(steady, msg));
        }
    }

    /** A peer's FIN arriving together with its last bytes: the bytes reach the handler before the close. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void hangUpWithDataLosesNothing(String backend, Trigger trigger) throws Exception {
        java.util.concurrent.ConcurrentLinkedQueue<Long> totals = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Handler counting = new Handler() {
            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {
                Long seen = c.attachment(Long.class);
                c.attach((seen == null ? 0L : seen) + len);
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                Long seen = c.attachment(Long.class);
                totals.add(seen == null ? 0L : seen);
            }
        };
        int rounds = 50;
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), trigger, () -> counting)) {
            for (int i = 0; i < rounds; i++) {
                try (Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
                    s.getOutputStream().write(new byte[100 + i]);
                } // close right after the write: data and FIN arrive together
            }
            Await.until(rounds + " connections closed", () -> totals.size() >= rounds);
            List<Long> got = new ArrayList<>(totals);
            got.sort(null);
            List<Long> want = new ArrayList<>();
            for (int i = 0; i < rounds; i++) want.add(100L + i);
            assertEquals(want, got);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void ipv6Loopback(String backend, Trigger trigger) throws Exception {
        java.net.InetAddress v6 = java.net.InetAddress.getByName("::1");
        EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
        try {
            Listener l;
            try {
                l = loop.listen(new java.net.InetSocketAddress(v6, 0), trigger, () -> EchoServer.ECHO);
            } catch (io.github.ffmreactor.NativeException e) {
                org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback on this machine: " + e.getMessage());
                return;
            }
            assertEquals(v6, l.localAddress().getAddress());
            loop.start("v6");
            try (Socket s = new Socket(v6, l.port())) {
                byte[] msg = "over ::1".getBytes();
                assertArrayEquals(msg, roundTrip(s, msg));
            }
        } finally {
            loop.close();
        }
    }

    static void readExactly(InputStream in, int n) throws IOException {
        new DataInputStream(in).readFully(new byte[n]);
    }
}
