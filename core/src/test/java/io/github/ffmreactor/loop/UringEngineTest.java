package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.OnLoop;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** What only the io_uring engine does: selection, refusal with the reason, ENOBUFS, many connections, limits. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class UringEngineTest {
    private static final LoopOptions URING = LoopOptions.defaults().withBackend(Backend.IO_URING);

    @AfterEach
    void clear() {
        Faults.clear();
    }

    @Test
    void offeredByNameButNeverAutosChoice() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        assertTrue(EventLoop.backends().contains(Backend.IO_URING), EventLoop.backends().toString());
        try (EventLoop auto = EventLoop.open(LoopOptions.defaults().withBackend(Backend.AUTO))) {
            assertEquals(Backend.EPOLL, auto.backend());
        }
        try (EventLoop u = EventLoop.open(URING)) {
            assertEquals(Backend.IO_URING, u.backend());
        }
    }

    @Test
    void refusedAtOpenWithTheReason() {
        Faults.fail(Faults.Call.RING_SETUP, Faults.ANY_FD, 0, Errno.EPERM, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventLoop.open(URING));
        assertTrue(e.getMessage().contains("io_uring") && e.getMessage().contains("EPERM")
                && e.getMessage().contains("io_uring_disabled"), e.getMessage());
    }

    @Test
    void noBuffersInTheRingIsCountedAndTheReceiveArmedAgain() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        // A tiny ring: two 256-byte buffers for eight connections that all send 8 KiB at once.
        LoopOptions twoSmallBuffers = URING.toBuilder().uringBuffers(2).uringBufferSize(256).build();
        try (LoopRunner r = new LoopRunner(twoSmallBuffers, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            List<Socket> socks = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
                    s.setSoTimeout(10_000);
                    socks.add(s);
                }
                Await.until("eight accepted", () -> r.loop.stats().open() == 8);
                byte[][] sent = new byte[8][];
                for (int i = 0; i < 8; i++) {
                    sent[i] = new byte[8192];
                    new Random(i).nextBytes(sent[i]);
                    socks.get(i).getOutputStream().write(sent[i]);
                }
                for (int i = 0; i < 8; i++) {
                    assertArrayEquals(sent[i], socks.get(i).getInputStream().readNBytes(8192), "connection " + i);
                }
                long nobufs = OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).noBuffers());
                assertTrue(nobufs > 0, "ENOBUFS never happened: " + r.loop.stats());
                assertTrue(r.errors.isEmpty(), r.errors.toString());
            } finally {
                for (Socket s : socks) s.close();
            }
            r.awaitNoConnections();
        }
    }

    @Test
    void aThousandConnectionsEchoAndCloseWithNothingLeft() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        int n = 1000;
        try (LoopRunner r = new LoopRunner(URING, Trigger.EDGE, () -> EchoServer.ECHO)) {
            List<Socket> socks = new ArrayList<>(n);
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
                    s.setSoTimeout(10_000);
                    socks.add(s);
                }
                for (int i = 0; i < n; i++) {
                    byte[] m = ("hello " + i + "\n").getBytes();
                    socks.get(i).getOutputStream().write(m);
                }
                for (int i = 0; i < n; i++) {
                    byte[] m = ("hello " + i + "\n").getBytes();
                    assertArrayEquals(m, socks.get(i).getInputStream().readNBytes(m.length));
                }
                assertEquals(n, r.loop.stats().open());
            } finally {
                // Half close politely, half reset: both must be released.
                for (int i = 0; i < socks.size(); i++) {
                    if (i % 2 == 0) socks.get(i).setSoLinger(true, 0);
                    socks.get(i).close();
                }
            }
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    @Test
    void maxConnectionsRefusesTheRest() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING.withMaxConnections(2), Trigger.LEVEL, () -> EchoServer.ECHO);
             Socket a = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
             Socket b = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
             Socket c = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            c.setSoTimeout(10_000);
            assertEquals(-1, c.getInputStream().read(), "the third is accepted and closed");
            a.setSoTimeout(10_000);
            a.getOutputStream().write(7);
            assertEquals(7, a.getInputStream().read());
            assertEquals(1, r.loop.stats().rejected());
        }
    }

    @Test
    void closeAfterFlushSendsEverythingThenFin() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        byte[] big = new byte[3 << 20];
        new Random(3).nextBytes(big);
        Handler h = new Handler() {
            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {
                c.write(big);
                c.closeAfterFlush();
            }
        };
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> h);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(1);
            InputStream in = s.getInputStream();
            assertArrayEquals(big, in.readNBytes(big.length));
            assertEquals(-1, in.read(), "FIN after the last byte");
            s.close();
            r.awaitNoConnections();
        }
    }

    @Test
    void udpIsRefusedAtOpenDatagramWithTheReasonAndNothingIsOpened() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            OnLoop.call(r.loop, () -> null); // the ring (an fd) opens at the loop's first turn
            int before = io.github.ffmreactor.testutil.FdCount.now();
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> r.loop.openDatagram(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), (d, buf, len, from) -> { }));
            assertTrue(u.getMessage().startsWith("openDatagram: UDP") && u.getMessage().contains("io_uring")
                    && u.getMessage().contains("epoll"), u.getMessage());
            assertEquals(before, io.github.ffmreactor.testutil.FdCount.now(), "no socket was opened");
            // The loop goes on: a TCP round trip still works.
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(5);
                assertEquals(5, s.getInputStream().read());
            }
            assertFalse(r.loop.terminationCause() != null);
        }
    }

    @Test
    void connectTimeoutCancelsTheConnectAndClosesTheSocketOnlyOnceItsCompletionIsBack() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        // A listener that never accepts, its accept queue full: a connect to it hangs in SYN_SENT.
        int lfd = io.github.ffmreactor.net.Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, false);
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            InetSocketAddress target = io.github.ffmreactor.net.Tcp.localAddress(lfd);
            int[] fd = {-1};
            boolean[] openWhenFailed = {false};
            ExecutionException e = null;
            for (int i = 0; i < 8 && e == null; i++) {
                var f = r.loop.connect(target, Trigger.LEVEL, EchoServer.ECHO, Duration.ofMillis(300));
                // The connecting socket's fd, read on the loop while the connect is in flight.
                OnLoop.call(r.loop, () -> {
                    for (Channel c : r.loop.registry.channels()) if (c instanceof Connector k) fd[0] = k.fd;
                    return null;
                });
                var checked = f.whenComplete((c, t) -> {
                    // On the loop thread, in the same turn as the timeout: the CONNECT is being
                    // cancelled, so its socket must still be open.
                    if (t != null) openWhenFailed[0] = java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/fd/" + fd[0]));
                });
                try {
                    checked.get(5, TimeUnit.SECONDS);
                } catch (ExecutionException x) {
                    e = x;
                }
            }
            assertTrue(e != null, "every connect completed: the kernel did not drop SYNs");
            assertTrue(e.getCause() instanceof java.net.SocketTimeoutException, e.toString());
            assertTrue(openWhenFailed[0], "the socket was closed before the cancelled CONNECT came back");
            // Then the completion comes back and the socket goes: nothing connecting, nothing retired.
            Await.until("connect released", () -> OnLoop.call(r.loop,
                    () -> r.loop.counters.connecting() == 0 && ((UringEngine) r.loop.engine).retiredChannels() == 0));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        } finally {
            io.github.ffmreactor.net.Fds.closeQuietly(lfd);
        }
    }

    @Test
    void peerThatNeverReadsIsPausedThenClosedPastTheLimit() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        LoopOptions o = URING.withLimits(64 * 1024, 1 << 20);
        List<Throwable> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handler flood = new Handler() {
            @Override
            public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {
                // One delivery is at most a provided buffer (16 KiB) on io_uring: 256 x len passes closeAbove (1 MiB) for any len over 4 KiB.
                for (int i = 0; i < 256 && c.isOpen(); i++) c.write(buf, 0, len);
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                closes.add(cause == null ? new Exception("orderly") : cause);
            }
        };
        try (LoopRunner r = new LoopRunner(o, Trigger.LEVEL, () -> flood);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            s.setReceiveBufferSize(4096);
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[4096];
            Thread w = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 4096; i++) out.write(chunk);
                } catch (Exception ignored) {
                    // closed by the server: expected
                }
            });
            Await.until("closed past closeAbove", () -> !closes.isEmpty());
            assertTrue(closes.get(0).getMessage().contains("over the limit"), closes.get(0).toString());
            assertTrue(r.loop.stats().queuedBytes() == 0, r.loop.stats().toString());
            s.close();
            w.join(10_000);
        }
    }
}
