package io.github.ffmreactor.poll;

import io.github.ffmreactor.testutil.Await;

import io.github.ffmreactor.testutil.FdCount;

import io.github.ffmreactor.testutil.TcpPair;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.poll.Poller.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.NativeException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.ffmreactor.Trigger;

/** The poller contract, run against every backend this OS offers (Linux: epoll, poll, select). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PollerBehaviourTest {
    static final long T = 0x1234_5678_9AL;
    private int fdsBefore;

    static List<String> backends() {
        return Poller.available();
    }

    @BeforeEach
    void countFds() {
        fdsBefore = FdCount.now();
    }

    @AfterEach
    void noFdLeft() {
        assertEquals(fdsBefore, FdCount.now(), "fds open before and after the test");
    }

    /** Polls once and ORs the readiness of every event carrying {@code token}; -1 if none did. */
    static int poll(Poller p, long token, int timeoutMs) throws NativeException {
        int n = p.poll(timeoutMs);
        int bits = -1;
        for (int i = 0; i < n; i++) {
            if (p.token(i) == token) bits = (bits < 0 ? 0 : bits) | p.ready(i);
        }
        return bits;
    }

    /** Polls until {@code token} shows all of {@code mask} (5 s at most); returns its readiness. */
    static int await(Poller p, long token, int mask) throws NativeException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int bits;
        do {
            bits = poll(p, token, 100);
        } while ((bits < 0 || (bits & mask) != mask) && System.nanoTime() < deadline);
        return bits;
    }

    @ParameterizedTest @MethodSource("backends")
    void readableAfterDataArrives(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            assertEquals(backend, p.name());
            p.register(s.server, READ | HANGUP, Trigger.LEVEL, T);
            assertEquals(-1, poll(p, T, 0), "nothing to read yet");
            s.send(s.client, 5);
            int bits = await(p, T, READ);
            assertEquals(READ, bits & (READ | WRITE | HANGUP | ERROR));
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void levelReportsAgainAfterPartialRead(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ | HANGUP, Trigger.LEVEL, T);
            s.send(s.client, 100);
            assertEquals(READ, await(p, T, READ) & READ);
            assertEquals(10, s.recv(s.server, 10));
            assertEquals(READ, poll(p, T, 0) & READ, "level: 90 bytes left, still readable");
            assertEquals(READ, poll(p, T, 0) & READ, "and again, without any read");
            assertEquals(90, s.recv(s.server, 1000));
            assertEquals(-1, poll(p, T, 0), "drained: no event");
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void writableUntilTheBufferFills(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, WRITE, Trigger.LEVEL, T);
            assertEquals(WRITE, await(p, T, WRITE) & WRITE);
            assertTrue(s.fill(s.server) > 0);
            assertEquals(-1, poll(p, T, 0), "send buffer full: not writable");
            // The peer reads everything: the sender becomes writable again.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int bits = -1;
            while (bits < 0 && System.nanoTime() < deadline) {
                while (s.recv(s.client, 1 << 20) > 0) { /* drain */ }
                bits = poll(p, T, 50);
            }
            assertEquals(WRITE, bits & WRITE);
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void hangUpIsReportedWithTheRemainingDataStillReadable(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ | HANGUP, Trigger.LEVEL, T);
            s.send(s.client, 3);
            s.closeClient();
            int bits = await(p, T, backend.equals("select") ? READ : READ | HANGUP);
            assertEquals(READ, bits & READ);
            if (!backend.equals("select")) {
                assertEquals(HANGUP, bits & HANGUP, "peer closed: HANGUP");
            } // select has no hang-up bit: the read below returning 0 is how it shows.
            assertEquals(3, s.recv(s.server, 100), "data sent before the close is still there");
            assertEquals(0, s.recv(s.server, 100), "then end of stream");
            p.deregister(s.server);
        }
    }

    /**
     * A refused connect is reported with WRITE interest, and its errno reaches the caller: in the
     * event where the kernel delivers it there (kqueue's fflags with EV_EOF, which is how kqueue
     * says it, and a kqueue may have read SO_ERROR to fill it), else through SO_ERROR.
     */
    @ParameterizedTest @MethodSource("backends")
    void aRefusedConnectIsReportedWithItsErrno(String backend) throws Exception {
        int port;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        java.lang.foreign.MemorySegment cs = io.github.ffmreactor.sys.Native.threadCallState();
        int c = io.github.ffmreactor.net.SocketIo.socket(cs, io.github.ffmreactor.sys.SocketConsts.CURRENT.AF_INET(),
                io.github.ffmreactor.sys.SocketConsts.CURRENT.SOCK_STREAM());
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined(); Poller p = Poller.open(backend)) {
            java.lang.foreign.MemorySegment sa = a.allocate(128, 8);
            int len = io.github.ffmreactor.net.Tcp.encode(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), sa);
            int r = io.github.ffmreactor.net.SocketIo.connect(cs, c, sa, len);
            if (r != -io.github.ffmreactor.sys.Errno.ECONNREFUSED) {
                assertEquals(-io.github.ffmreactor.sys.Errno.EINPROGRESS, r);
                p.register(c, WRITE, Trigger.LEVEL, T);
                int n = p.poll(5_000);
                assertEquals(1, n, "the failed connect is reported");
                assertEquals(T, p.token(0));
                assertTrue((p.ready(0) & (WRITE | ERROR | HANGUP)) != 0, "ready bits " + p.ready(0));
                int err = p.error(0);
                if (err == 0) err = io.github.ffmreactor.net.Tcp.soError(c);
                assertEquals("ECONNREFUSED", io.github.ffmreactor.sys.Errno.name(err));
                p.deregister(c);
            }
        } finally {
            Fds.close(c);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void wakeupFromAnotherThreadEndsABlockingPollAndIsNotAnEvent(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ, Trigger.LEVEL, T);
            CountDownLatch started = new CountDownLatch(1);
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    started.await();
                    // Until the poller has entered its wait call; if the wakeup still lands just
                    // before the syscall, it is kept and ends the wait at once: the assertions hold.
                    Await.until("the poller to wait", () -> p.stats().waits() > 0);
                } catch (Exception e) {
                    return;
                }
                p.wakeup();
            });
            long t0 = System.nanoTime();
            started.countDown();
            int n = p.poll(20_000);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            waker.join();
            assertEquals(0, n, "the wakeup is not reported as an event");
            assertTrue(ms < 10_000, "woken after " + ms + " ms");
            assertEquals(0, p.poll(0), "the wakeup was consumed");
            // A wakeup before the wait ends the next wait.
            p.wakeup();
            p.wakeup();
            t0 = System.nanoTime();
            assertEquals(0, p.poll(20_000));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
            assertEquals(0, p.poll(0));
            assertTrue(p.stats().wakeupsSent() >= 3);
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void pollTimesOut(String backend) throws Exception {
        try (Poller p = Poller.open(backend)) {
            long t0 = System.nanoTime();
            assertEquals(0, p.poll(60));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40));
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void deregisterStopsEvents(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ, Trigger.LEVEL, T);
            p.register(s.client, READ, Trigger.LEVEL, T + 1);
            s.send(s.client, 7);
            s.send(s.server, 7);
            assertEquals(READ, await(p, T, READ) & READ);
            p.deregister(s.server);
            int n = p.poll(0);
            for (int i = 0; i < n; i++) assertEquals(T + 1, p.token(i), "only the client is still watched");
            assertTrue(n >= 1);
            p.deregister(s.client);
            assertEquals(0, p.poll(0));
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void modifyChangesInterestAndToken(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ, Trigger.LEVEL, T);
            assertEquals(-1, poll(p, T, 0));
            p.modify(s.server, READ | WRITE, Trigger.LEVEL, T + 5);
            assertEquals(WRITE, await(p, T + 5, WRITE) & WRITE);
            p.modify(s.server, READ, Trigger.LEVEL, T);
            assertEquals(-1, poll(p, T, 0));
            assertEquals(-1, poll(p, T + 5, 0));
            p.deregister(s.server);
        }
    }

    /**
     * ONESHOT is per fd: once reported, nothing more until re-armed, even with READ and WRITE
     * asked and only one of them met at first (kqueue's EV_ONESHOT is per filter: the READ filter
     * used to report the fd a second time; found by PollerModelTest).
     */
    @ParameterizedTest @MethodSource("backends")
    void oneshotReportsOnceUntilRearmedWhateverBecomesReadyAfter(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            if (!p.capabilities().supports(Trigger.ONESHOT)) return;
            p.register(s.server, READ | WRITE, Trigger.ONESHOT, T);
            assertEquals(WRITE, await(p, T, WRITE) & (READ | WRITE));
            s.send(s.client, 10);
            assertEquals(-1, poll(p, T, 100), "disarmed until modify");
            p.modify(s.server, READ | WRITE, Trigger.ONESHOT, T);
            assertEquals(READ | WRITE, await(p, T, READ | WRITE) & (READ | WRITE));
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void registeringAClosedFdIsEBADF(String backend) throws Exception {
        try (Poller p = Poller.open(backend)) {
            int fd;
            try (TcpPair s = new TcpPair()) {
                fd = s.server;
            }
            NativeException e = assertThrows(NativeException.class, () -> p.register(fd, READ, Trigger.LEVEL, T));
            assertEquals("EBADF", e.errnoName(), e.getMessage());
            assertEquals(0, p.poll(0));
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void modifyOrDeregisterOfAnUnregisteredFdIsENOENT(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            NativeException e = assertThrows(NativeException.class, () -> p.modify(s.server, READ, Trigger.LEVEL, T));
            assertEquals("ENOENT", e.errnoName(), e.getMessage());
            e = assertThrows(NativeException.class, () -> p.deregister(s.server));
            assertEquals("ENOENT", e.errnoName(), e.getMessage());
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void registeringTwiceIsEEXIST(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            p.register(s.server, READ, Trigger.LEVEL, T);
            NativeException e = assertThrows(NativeException.class, () -> p.register(s.server, READ, Trigger.LEVEL, T));
            assertEquals("EEXIST", e.errnoName(), e.getMessage());
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void manyFdsAndChurn(String backend) throws Exception {
        // Register 40 pairs, deregister every other one, and check each remaining token still
        // maps to its own fd (exercises the dense-array bookkeeping of poll and select).
        try (Poller p = Poller.open(backend)) {
            TcpPair[] pairs = new TcpPair[40];
            try {
                for (int i = 0; i < pairs.length; i++) {
                    pairs[i] = new TcpPair();
                    p.register(pairs[i].server, READ, Trigger.LEVEL, 1000 + i);
                }
                for (int i = 0; i < pairs.length; i += 2) p.deregister(pairs[i].server);
                for (int i = 1; i < pairs.length; i += 4) pairs[i].send(pairs[i].client, 1);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                java.util.Set<Long> seen = new java.util.TreeSet<>();
                while (seen.size() < 10 && System.nanoTime() < deadline) {
                    int n = p.poll(100);
                    for (int k = 0; k < n; k++) seen.add(p.token(k));
                }
                java.util.Set<Long> want = new java.util.TreeSet<>();
                for (int i = 1; i < pairs.length; i += 4) want.add(1000L + i);
                assertEquals(want, seen);
                for (int i = 1; i < pairs.length; i += 2) p.deregister(pairs[i].server);
            } finally {
                for (TcpPair s : pairs) if (s != null) s.close();
            }
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void closeIsIdempotentAndLeavesNoFd(String backend) throws Exception {
        Poller p = Poller.open(backend);
        p.close();
        p.close();
        p.wakeup(); // ignored once closed
        assertThrows(IllegalStateException.class, () -> p.poll(0));
        Fds.closeQuietly(-1);
    }
}
