package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.OnLoop;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Limits, lifecycle and orderly close: each case is a bug the loop once had. */
@Timeout(60)
@ExtendWith(NoFdLeaks.class)
class ContainmentTest {
    static List<String> backends() {
        return Backends.names();
    }

    static List<org.junit.jupiter.params.provider.Arguments> backendsAndTriggers() {
        return Backends.withTriggers();
    }

    private static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static Socket connect(InetSocketAddress at) throws IOException {
        Socket s = new Socket(at.getAddress(), at.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static void roundTrip(Socket s, int n) throws IOException {
        byte[] msg = new byte[n];
        new Random(n).nextBytes(msg);
        s.getOutputStream().write(msg);
        assertArrayEquals(msg, s.getInputStream().readNBytes(n));
    }

    /** Over maxConnections a connection is accepted and closed at once, and counted; the rest are served. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void overMaxConnectionsIsRefusedNotFatal(String backend) throws Exception {
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withMaxConnections(2);
        try (LoopRunner r = new LoopRunner(o, Trigger.LEVEL, () -> EchoServer.ECHO);
             Socket a = connect(r.address()); Socket b = connect(r.address())) {
            roundTrip(a, 10);
            roundTrip(b, 10);
            try (Socket c = connect(r.address())) {
                assertEquals(-1, c.getInputStream().read(), "the third connection is closed at once");
            }
            Await.until("counted as rejected", () -> r.loop.stats().rejected() == 1);
            assertEquals(0, r.loop.stats().failures());
            roundTrip(a, 1000);
            b.close();
            Await.until("b closed", () -> r.loop.stats().open() == 1);
            try (Socket d = connect(r.address())) {
                roundTrip(d, 10); // room again
            }
        }
    }

    /**
     * select can watch fds below FD_SETSIZE only: a connection whose fd is past it is refused and
     * counted, and the loop keeps serving (it used to end the loop with an IllegalArgumentException).
     */
    @Test
    void selectPastFdSetSizeRefusesThatConnectionOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.ffmreactor.poll.Poller.available().contains("select"),
                "this OS has no select backend");
        List<Integer> filler = new ArrayList<>();
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.SELECT), Trigger.LEVEL, () -> EchoServer.ECHO);
             Socket a = connect(r.address());
             Arena arena = Arena.ofConfined()) {
            roundTrip(a, 10);
            // Push this process's lowest free fd past 1023 with pipes, so the next accept gets one.
            MemorySegment fds = arena.allocate(8);
            while (filler.size() < 1100) {
                if (Unistd.pipe(Native.threadCallState(), fds) < 0) throw new IOException("pipe failed");
                filler.add(fds.get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
                filler.add(fds.get(java.lang.foreign.ValueLayout.JAVA_INT, 4));
            }
            try (Socket c = connect(r.address())) {
                assertEquals(-1, c.getInputStream().read(), "the connection past FD_SETSIZE is closed");
            }
            Await.until("counted as rejected", () -> r.loop.stats().rejected() == 1);
            assertTrue(r.loop.isRunning());
            roundTrip(a, 5000);
            for (int fd : filler) Unistd.close(Native.threadCallState(), fd);
            filler.clear();
            try (Socket d = connect(r.address())) {
                roundTrip(d, 10);
            }
            assertTrue(r.errors.stream().anyMatch(e -> e.getMessage().contains("past what select can watch")), r.errors.toString());
        } finally {
            for (int fd : filler) Unistd.close(Native.threadCallState(), fd);
        }
    }

    /**
     * Calls made right after start() go through the loop's queue. They used to run inline on the
     * caller's thread while the loop slept on a poll/select set that lacked the new fd.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void listenRightAfterStartIsServed(String backend) throws Exception {
        for (int i = 0; i < 20; i++) {
            EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
            loop.start("start-race-" + i);
            try {
                Listener l = loop.listen(ANY, Trigger.LEVEL, () -> EchoServer.ECHO);
                Timer t = loop.schedule(1, TimeUnit.MILLISECONDS, () -> { });
                try (Socket s = connect(l.localAddress())) {
                    roundTrip(s, 10);
                }
                Await.until("timer ran", t::isDone);
            } finally {
                loop.close();
            }
        }
    }

    /** A stopped loop refuses work at once, the Executor way, and opens nothing. */
    @Test
    void terminatedLoopRejectsAndLeaksNothing() throws Exception {
        EventLoop loop = EventLoop.open();
        loop.start("soon-stopped");
        loop.close();
        assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> loop.listen(ANY, Trigger.LEVEL, () -> EchoServer.ECHO));
        assertThrows(RejectedExecutionException.class, () -> loop.openDatagram(ANY, (ch, b, n, from) -> { }));
        assertThrows(RejectedExecutionException.class, () -> loop.schedule(1, TimeUnit.SECONDS, () -> { }));
        CompletableFuture<Connection> f = loop.connect(ANY, Trigger.LEVEL, EchoServer.ECHO, null);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof RejectedExecutionException, e.toString());
        loop.shutdown(Duration.ofSeconds(1)); // no-ops, no exceptions
        loop.stop();
    }

    /** A call queued on a loop that closes before running it fails instead of hanging, and opens nothing. */
    @Test
    void callQueuedOnAClosingLoopIsAbandoned() throws Exception {
        EventLoop loop = EventLoop.open();
        CompletableFuture<Void> inTask = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        loop.start("closing");
        loop.execute(() -> {
            inTask.complete(null);
            release.join(); // hold the loop so the next calls stay queued
        });
        inTask.get(5, TimeUnit.SECONDS);
        CompletableFuture<Connection> f = loop.connect(ANY, Trigger.LEVEL, EchoServer.ECHO, null);
        AtomicReference<Throwable> listenFailure = new AtomicReference<>();
        Thread lister = Thread.ofPlatform().start(() -> {
            try {
                loop.listen(ANY, Trigger.LEVEL, () -> EchoServer.ECHO);
            } catch (Throwable t) {
                listenFailure.set(t);
            }
        });
        Await.until("listen queued", () -> lister.getState() == Thread.State.TIMED_WAITING);
        loop.stop();
        release.complete(null);
        assertTrue(loop.awaitTermination(Duration.ofSeconds(5)));
        lister.join(5000);
        assertTrue(listenFailure.get() instanceof RejectedExecutionException, String.valueOf(listenFailure.get()));
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof RejectedExecutionException, e.toString());
    }

    /**
     * Graceful close loses nothing: the response is queued, closeAfterFlush starts, the peer
     * pipelines another request, and still receives every byte of the response, then EOF. (Closing
     * with that request unread made Linux send a reset that destroyed the unsent tail.)
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndTriggers")
    void closeAfterFlushLosesNothingWhenThePeerPipelines(String backend, Trigger trigger) throws Exception {
        byte[] response = new byte[4 << 20];
        new Random(7).nextBytes(response);
        MemorySegment out = Arena.global().allocate(response.length);
        MemorySegment.copy(MemorySegment.ofArray(response), 0, out, 0, response.length);
        AtomicBoolean lingered = new AtomicBoolean();
        Handler h = new Handler() {
            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                if (c.isClosing()) return;
                c.write(out);
                c.closeAfterFlush();
                lingered.set(c.isOpen());
            }
        };
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(8 << 20, 16 << 20);
        try (LoopRunner r = new LoopRunner(o, trigger, () -> h); Socket s = connect(r.address())) {
            s.getOutputStream().write("GET\n".getBytes());
            // The pipelined request, sent while the response is still queued in the server.
            Await.until("response under way", () -> s.getInputStream().available() > 0);
            s.getOutputStream().write(new byte[64 * 1024]);
            InputStream in = s.getInputStream();
            assertArrayEquals(response, in.readNBytes(response.length), "the whole response");
            assertEquals(-1, in.read(), "then EOF, not a reset");
            assertTrue(lingered.get());
            s.close();
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /**
     * Level triggering, a handler that keeps the connection half-open after the peer's EOF, then
     * the peer resets: EPOLLHUP|EPOLLERR is reported on every wait whatever the interest. The
     * connection must close instead of the loop spinning on it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void hangUpAfterEndOfInputClosesInsteadOfSpinning(String backend) throws Exception {
        Handler keepHalfOpen = new Handler() {
            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                c.write(buf, 0, len);
            }

            @Override
            public void onInputClosed(Connection c) {
                // keep it open: the handler still has something to say later
            }
        };
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), Trigger.LEVEL, () -> keepHalfOpen)) {
            Socket s = connect(r.address());
            roundTrip(s, 10);
            s.shutdownOutput();
            Await.until("EOF read", () -> r.loop.stats().reads() >= 2);
            s.setSoLinger(true, 0);
            s.close(); // RST
            // select and kqueue report nothing for an fd with no interest (no spin to fear: kqueue
            // then has no filter on it, and its events are per filter, kqueue.2), as on macOS; the
            // others report a hang-up whatever the interest, and must close the connection on it.
            if (!backend.equals("select") && !backend.equals("kqueue")) r.awaitNoConnections();
            long waits = r.loop.stats().waits();
            Thread.sleep(200);
            assertTrue(r.loop.stats().waits() - waits < 10, "the loop is idle, not spinning: "
                    + (r.loop.stats().waits() - waits) + " waits in 200 ms");
        }
    }

    /** Loop-wide output budget: many peers that never read cannot make the loop queue without bound. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndTriggers")
    void outputBudgetBoundsWhatNonReadingPeersCost(String backend, Trigger trigger) throws Exception {
        long budget = 256 * 1024;
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(4 << 20, 16 << 20).withOutputBudget(budget);
        int peers = 4, each = 12 << 20; // more than the kernel's socket buffers hold

        try (LoopRunner r = new LoopRunner(o, trigger, () -> EchoServer.ECHO)) {
            List<Socket> socks = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            try {
                for (int i = 0; i < peers; i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096);
                    s.connect(r.address());
                    s.setSoTimeout(10_000);
                    socks.add(s);
                    byte[] data = new byte[each];
                    new Random(i).nextBytes(data);
                    writers.add(Thread.ofVirtual().start(() -> {
                        try {
                            s.getOutputStream().write(data);
                        } catch (IOException ignored) {
                            // the test fails on the bytes read back
                        }
                    }));
                }
                // Nobody reads: the server queues until every peer is paused.
                long bound = budget + (long) peers * o.readBufferSize();
                // io_uring too: it pauses a connection once its SEND is stuck on a full kernel buffer, and
                // what that buffer did not take stays queued, as after write(2)'s EAGAIN.
                Await.until("every peer paused", () -> r.loop.stats().queuedBytes() > budget && pausedCount(r) == peers);
                assertTrue(r.loop.stats().queuedBytes() <= bound, r.loop.stats() + " over " + bound);
                // Now read everything back: all of it, in order.
                for (int i = 0; i < peers; i++) {
                    byte[] data = new byte[each];
                    new Random(i).nextBytes(data);
                    Socket s = socks.get(i);
                    assertArrayEquals(data, s.getInputStream().readNBytes(each), "peer " + i);
                }
                for (Thread w : writers) w.join(10_000);
                assertEquals(0, r.loop.stats().queuedBytes());
            } finally {
                for (Socket s : socks) s.close();
            }
        }
    }

    private static int pausedCount(LoopRunner r) throws Exception {
        return OnLoop.call(r.loop, () -> {
            int n = 0;
            for (Channel c : r.loop.registry.channels()) if (c instanceof Connection k && k.isReadPaused()) n++;
            return n;
        });
    }

    /** A delay too long for nanoTime arithmetic is cut, not wrapped into the past (it fired at once). */
    @Test
    void hugeDelaysDoNotOverflow() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            loop.start("huge-delays");
            Timer never = loop.schedule(Long.MAX_VALUE, TimeUnit.NANOSECONDS, () -> { });
            Timer never2 = loop.schedule(Long.MAX_VALUE, TimeUnit.DAYS, () -> { });
            Timer soon = loop.schedule(5, TimeUnit.MILLISECONDS, () -> { });
            Await.until("the near timer ran", soon::isDone);
            assertFalse(never.isDone());
            assertFalse(never2.isDone());
            // A grace of months, or of Long.MAX_VALUE seconds, is a long grace, not an overflow.
            loop.shutdown(Duration.ofSeconds(Long.MAX_VALUE));
            assertTrue(loop.awaitTermination(Duration.ofSeconds(5)), "nothing open: the shutdown ends at once");
        }
    }
}
