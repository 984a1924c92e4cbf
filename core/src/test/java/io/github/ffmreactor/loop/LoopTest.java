package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.OnLoop;
import io.github.ffmreactor.testutil.Await;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.DataInputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The loop's known traps, each with a test. */
@Timeout(60)
@ExtendWith(NoFdLeaks.class)
class LoopTest {
    static List<org.junit.jupiter.params.provider.Arguments> backends() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    static List<String> backendNames() {
        return io.github.ffmreactor.testutil.Backends.names();
    }

    private static void await(String what, Await.Condition cond) throws Exception {
        Await.until(what, cond);
    }

    /**
     * An event for an fd closed earlier in the same batch must not reach the new owner of that fd
     * number: A's handler closes B, and a pipe opened right after gets B's number and B's slot.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void eventForFdClosedEarlierInBatchIsDropped(String backend) throws Exception {
        AtomicReference<Connection> b = new AtomicReference<>();
        AtomicInteger bDataAfterClose = new AtomicInteger();
        AtomicInteger pipeEvents = new AtomicInteger();
        AtomicInteger reusedNumber = new AtomicInteger(-1);
        List<Connection> conns = new CopyOnWriteArrayList<>();
        Handler pipeHandler = (c, buf, len) -> pipeEvents.incrementAndGet();
        Handler h = new Handler() {
            @Override
            public void onOpen(Connection c) {
                conns.add(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                if ("closed".equals(c.attachment(String.class))) {
                    bDataAfterClose.incrementAndGet();
                    return;
                }
                Connection other = conns.get(0) == c ? conns.get(1) : conns.get(0);
                if (b.get() != null || !other.isOpen()) return;
                b.set(other);
                int bFd = other.fd();
                other.attach("closed");
                other.close();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
                    assertEquals(0, Unistd.pipe(Native.threadCallState(), fds));
                    int rd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
                    int wr = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
                    reusedNumber.set(rd == bFd ? rd : -1);
                    Unistd.setNonBlockingCloexec(Native.threadCallState(), rd);
                    c.loop().register(rd, Trigger.LEVEL, pipeHandler);
                    Unistd.close(Native.threadCallState(), wr);
                } catch (NativeException e) {
                    throw new RuntimeException(e);
                }
            }
        };
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), Trigger.LEVEL, () -> h);
             Socket s1 = new Socket(r.address().getAddress(), r.address().getPort());
             Socket s2 = new Socket(r.address().getAddress(), r.address().getPort())) {
            await("two connections", () -> conns.size() == 2);
            // Hold the loop so that both sockets are readable before it polls: one batch, two events.
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            r.loop.execute(() -> {
                held.countDown();
                try {
                    hold.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            held.await();
            s1.getOutputStream().write(1);
            s2.getOutputStream().write(2);
            // Both server sockets readable before the loop polls again (seen by a second poller).
            try (io.github.ffmreactor.poll.Poller watch = io.github.ffmreactor.poll.Poller.open(backend)) {
                for (int i = 0; i < 2; i++) watch.register(conns.get(i).fd(), io.github.ffmreactor.poll.Poller.READ, Trigger.LEVEL, i);
                Await.until("both connections readable", () -> watch.poll(0) == 2);
            }
            hold.countDown();
            await("the batch", () -> b.get() != null && r.loop.stats().staleEvents() > 0);
            // The pipe's write end is closed: a stale READ delivered to it would read EOF and close it.
            assertEquals(0, bDataAfterClose.get(), "closed connection got no data");
            assertTrue(reusedNumber.get() >= 0, "the pipe took the closed fd's number (else the test proves less)");
            assertEquals(1, r.loop.stats().staleEvents());
            assertEquals(0, pipeEvents.get());
        }
    }

    /** At most one wakeup write per sleep, none while the loop is awake; tasks run in order. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void wakeupsCoalesceAndTasksRunInOrder(String backend) throws Exception {
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            Thread t = loop.start("wakeups");
            int threads = 4, each = 5000;
            List<Integer>[] seen = new List[threads];
            for (int i = 0; i < threads; i++) seen[i] = new ArrayList<>();
            CountDownLatch all = new CountDownLatch(threads * each);
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < threads; p++) {
                int id = p;
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < each; i++) {
                        int v = i;
                        loop.execute(() -> {
                            seen[id].add(v);
                            all.countDown();
                        });
                    }
                }));
            }
            for (Thread p : producers) p.join();
            assertTrue(all.await(20, TimeUnit.SECONDS));
            for (int p = 0; p < threads; p++) {
                for (int i = 0; i < each; i++) assertEquals(i, seen[p].get(i), "per-producer order");
            }
            LoopStats st = OnLoop.call(loop, loop::stats);
            assertTrue(st.wakeups() <= st.waits(), "at most one wakeup per wait: " + st);
            assertTrue(st.wakeups() < threads * each / 4, "coalesced: " + st);
            // From the loop thread itself: no wakeup at all.
            long before = st.wakeups();
            OnLoop.call(loop, () -> {
                for (int i = 0; i < 100; i++) loop.execute(() -> {});
                return null;
            });
            LoopStats after = OnLoop.call(loop, loop::stats);
            assertTrue(after.wakeups() - before <= 2, "only the test's own two calls may wake: " + after);
            loop.close();
            t.join(5000);
        }
    }

    /** Edge triggering: a connection with more to read yields after its budget; others are served. */
    @Test
    void edgeTriggeringStaysFair() throws Exception {
        LoopOptions o = LoopOptions.defaults().withReadBufferSize(1024).withReadsPerTurn(2);
        try (LoopRunner r = new LoopRunner(o, Trigger.EDGE, () -> EchoServer.ECHO);
             Socket big = new Socket(r.address().getAddress(), r.address().getPort());
             Socket small = new Socket(r.address().getAddress(), r.address().getPort())) {
            byte[] lots = new byte[2 << 20];
            new Random(1).nextBytes(lots);
            CompletableFuture<byte[]> bigBack = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] b = new byte[lots.length];
                    new DataInputStream(big.getInputStream()).readFully(b);
                    return b;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread w = Thread.ofVirtual().start(() -> {
                try {
                    big.getOutputStream().write(lots);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            for (int i = 0; i < 50; i++) {
                small.getOutputStream().write(new byte[] {(byte) i});
                assertEquals(i, small.getInputStream().read());
            }
            assertArrayEquals(lots, bigBack.get(30, TimeUnit.SECONDS));
            w.join();
            assertTrue(r.loop.stats().carried() > 0, "the big reader was carried over: " + r.loop.stats());
        }
    }

    /** A peer that sends but never reads stops being read from; reading resumes as output drains. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void backPressurePausesReadingAndResumes(String backend, Trigger trigger) throws Exception {
        long pause = 256 * 1024;
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(pause, 64L << 20);
        List<Connection> conns = new CopyOnWriteArrayList<>();
        Handler echo = new Handler() {
            @Override
            public void onOpen(Connection c) {
                conns.add(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                c.write(buf, 0, len);
            }
        };
        try (LoopRunner r = new LoopRunner(o, trigger, () -> echo);
             Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
            s.setReceiveBufferSize(64 * 1024);
            byte[] data = new byte[16 << 20];
            new Random(7).nextBytes(data);
            Thread w = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(data);
                } catch (Exception ignored) {
                    // the test closes the socket if it fails
                }
            });
            await("reading paused", () -> !conns.isEmpty() && onLoopQuiet(r.loop, () -> conns.get(0).isReadPaused()));
            long in1 = r.loop.stats().bytesIn();
            long pending = OnLoop.call(r.loop, () -> conns.get(0).pendingOutput());
            assertTrue(pending <= pause + o.readBufferSize(), "queued output bounded: " + pending);
            // Five more turns of the loop, each a chance to read: none may.
            for (int i = 0; i < 5; i++) OnLoop.call(r.loop, () -> null);
            assertEquals(in1, r.loop.stats().bytesIn(), "no reading while paused");
            byte[] back = new byte[data.length];
            new DataInputStream(s.getInputStream()).readFully(back);
            assertArrayEquals(data, back);
            w.join(10_000);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    private static boolean onLoopQuiet(EventLoop loop, java.util.concurrent.Callable<Boolean> c) {
        try {
            return OnLoop.call(loop, c);
        } catch (Exception e) {
            return false;
        }
    }

    /** Past the hard limit a connection that keeps producing for a peer that never reads is closed. */
    @Test
    void outputLimitClosesAPeerThatNeverReads() throws Exception {
        AtomicReference<Throwable> closedWith = new AtomicReference<>();
        Handler amplifier = new Handler() {
            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                // Produces without bound: only the output limit can stop it.
                while (c.write(buf, 0, len)) {
                    // keep writing
                }
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                closedWith.set(cause);
            }
        };
        LoopOptions o = LoopOptions.defaults().withLimits(64 * 1024, 1 << 20);
        try (LoopRunner r = new LoopRunner(o, Trigger.LEVEL, () -> amplifier);
             Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
            s.getOutputStream().write(new byte[64 * 1024]);
            await("closed", () -> closedWith.get() != null);
            assertTrue(closedWith.get().getMessage().contains("the peer is not reading"), closedWith.get().getMessage());
        }
    }

    @Test
    void handlerThatThrowsClosesOnlyItsConnection() throws Exception {
        Handler h = (c, buf, len) -> {
            if (buf.get(ValueLayout.JAVA_BYTE, 0) == 'X') throw new IllegalStateException("boom");
            c.write(buf, 0, len);
        };
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults(), Trigger.EDGE, () -> h);
             Socket good = new Socket(r.address().getAddress(), r.address().getPort());
             Socket bad = new Socket(r.address().getAddress(), r.address().getPort())) {
            bad.getOutputStream().write('X');
            assertEquals(-1, bad.getInputStream().read(), "the failing connection is closed");
            good.getOutputStream().write('a');
            assertEquals('a', good.getInputStream().read(), "the others keep going");
            await("reported", () -> !r.errors.isEmpty());
            assertEquals("boom", r.errors.get(0).getMessage());
        }
    }

    @Test
    void badInputIsAClearErrorAndBreaksNothing() throws Exception {
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults(), Trigger.LEVEL, () -> EchoServer.ECHO);
             Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
            // Binding a port in use.
            NativeException inUse = assertThrows(NativeException.class,
                    () -> r.loop.listen(r.address(), Trigger.LEVEL, () -> EchoServer.ECHO));
            assertEquals(Errno.EADDRINUSE, inUse.errno());
            assertTrue(inUse.getMessage().contains("bind") && inUse.getMessage().contains("EADDRINUSE"), inUse.getMessage());
            // Registering a closed fd.
            NativeException closed = assertThrows(NativeException.class,
                    () -> onLoopRethrow(r.loop, () -> r.loop.register(999_999, Trigger.LEVEL, EchoServer.ECHO)));
            assertEquals(Errno.EBADF, closed.errno());
            // Unsupported trigger for the loop's backend is refused at registration, not downgraded.
            assertEquals(0, r.errors.size());
            // Still serving.
            s.getOutputStream().write(42);
            assertEquals(42, s.getInputStream().read());
        }
    }

    private static <T> T onLoopRethrow(EventLoop loop, java.util.concurrent.Callable<T> c) throws Exception {
        try {
            return OnLoop.call(loop, c);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
    }

    /** Closing twice never closes a number the kernel has since handed to someone else. */
    @Test
    void closingTwiceNeverClosesARecycledFd() throws Exception {
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults(), Trigger.LEVEL, () -> EchoServer.ECHO)) {
            boolean ok = OnLoop.call(r.loop, () -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
                    Unistd.pipe(Native.threadCallState(), fds);
                    int rd = fds.getAtIndex(ValueLayout.JAVA_INT, 0), wr = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
                    Unistd.setNonBlockingCloexec(Native.threadCallState(), rd);
                    Connection c = r.loop.register(rd, Trigger.LEVEL, EchoServer.ECHO);
                    c.close();
                    // The kernel hands the lowest free number out again.
                    Unistd.pipe(Native.threadCallState(), fds);
                    int rd2 = fds.getAtIndex(ValueLayout.JAVA_INT, 0), wr2 = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
                    c.close(); // second close: must not touch rd2
                    MemorySegment one = a.allocate(1);
                    boolean alive = Unistd.write(Native.threadCallState(), wr2, one, 0, 1) == 1
                            && Unistd.read(Native.threadCallState(), rd2, one, 0, 1) == 1;
                    for (int fd : new int[] {wr, rd2, wr2}) Unistd.close(Native.threadCallState(), fd);
                    return alive && rd2 == rd;
                }
            });
            assertTrue(ok, "the recycled fd survived the second close");
        }
        EventLoop l = EventLoop.open();
        l.close();
        l.close();
    }

    @Test
    void gracefulShutdownFlushesThenClosesEverything() throws Exception {
        EventLoop loop = EventLoop.open();
        Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.EDGE, () -> EchoServer.ECHO);
        Thread t = loop.start("graceful");
        try (Socket s = new Socket(l.localAddress().getAddress(), l.port())) {
            s.getOutputStream().write("bye".getBytes());
            byte[] b = new byte[3];
            new DataInputStream(s.getInputStream()).readFully(b);
            loop.shutdown(Duration.ofSeconds(2));
            assertTrue(loop.awaitTermination(Duration.ofSeconds(5)));
            assertEquals(-1, s.getInputStream().read(), "server side closed");
            assertThrows(java.net.ConnectException.class, () -> new Socket(l.localAddress().getAddress(), l.port()).close());
        }
        t.join(5000);
        assertFalse(t.isAlive());
        assertNull(null);
    }
}
