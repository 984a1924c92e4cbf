package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Faults.Call;
import io.github.ffmreactor.sys.IoUring;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.OnLoop;
import io.github.ffmreactor.testutil.TcpPair;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The io_uring engine's own faults, made on purpose through {@link Faults}: a receive that ends
 * with -ECANCELED or -ENOBUFS (the multishot receive is over and must be armed again, with no byte
 * lost), and SENDs the kernel makes short (the rest goes out, in order). A failed io_uring_enter
 * (the loop ends and says why) is FaultMatrixTest's WAIT_EBADF / WAIT_ENOMEM, and a server's exit
 * code on it LoopFailureExitTest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class UringFaultTest {
    private static final LoopOptions URING = LoopOptions.defaults().withBackend(Backend.IO_URING);
    /** A two-entry SQ: the third request of a turn needs a submit first. */
    private static final LoopOptions URING_SQ2 = URING.toBuilder().uringEntries(2).build();

    private final List<Connection> accepted = new CopyOnWriteArrayList<>();
    private final List<Connection> closed = new CopyOnWriteArrayList<>();

    @AfterEach
    void clear() {
        Faults.clear();
    }

    private Handler echo() {
        return new Handler() {
            @Override
            public void onOpen(Connection c) {
                accepted.add(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                EchoServer.ECHO.onData(c, buf, len);
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                closed.add(c);
            }
        };
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * The first receives armed for a new connection end with {@code errno} (no F_MORE, no buffer:
     * the shape the kernel gives them); the engine arms the receive again each time, the bytes wait
     * in the socket, and the echo comes back whole and once.
     */
    private void receiveEndsWith(int errno, Trigger trigger) throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, trigger, this::echo)) {
            long nobufsBefore = OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).noBuffers());
            Faults.fail(Call.READ, Faults.ANY_FD, 0, errno, 3);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
                s.setSoTimeout(10_000);
                byte[] msg = bytes(5000, errno);
                s.getOutputStream().write(msg);
                assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length), "every byte once, in order");
                assertEquals(3, Faults.fired(Call.READ));
                long nobufs = OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).noBuffers()) - nobufsBefore;
                assertEquals(errno == Errno.ENOBUFS ? 3 : 0, nobufs, "receives that ran dry, counted");
                // And it goes on: another round trip on the same connection.
                Faults.clear();
                byte[] more = bytes(300, 7);
                s.getOutputStream().write(more);
                assertArrayEquals(more, s.getInputStream().readNBytes(more.length));
                assertTrue(accepted.get(0).isOpen());
                assertTrue(closed.isEmpty());
            }
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), "neither is a failure: " + r.errors);
            assertNull(r.loop.terminationCause());
        }
    }

    @Test
    void aReceiveThatEndsWithEcanceledIsArmedAgainAndNoByteIsLost() throws Exception {
        receiveEndsWith(IoUring.ECANCELED, Trigger.LEVEL);
    }

    @Test
    void aReceiveThatEndsWithEnobufsIsCountedArmedAgainAndNoByteIsLost() throws Exception {
        receiveEndsWith(Errno.ENOBUFS, Trigger.EDGE);
    }

    @Test
    void aReceiveThatEndsWithAHardErrorClosesOnlyItsConnection() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::echo);
             Socket bystander = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            bystander.setSoTimeout(10_000);
            Await.until("bystander accepted", () -> accepted.size() == 1);
            Faults.fail(Call.READ, Faults.ANY_FD, 0, Errno.ECONNRESET, 1);
            try (Socket victim = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
                victim.setSoTimeout(10_000);
                assertEquals(-1, victim.getInputStream().read(), "closed by the server");
            }
            Await.until("the victim's onClose ran", () -> closed.size() == 1);
            assertTrue(r.errors.isEmpty(), "a reset is ordinary: " + r.errors);
            byte[] msg = bytes(1000, 1);
            bystander.getOutputStream().write(msg);
            assertArrayEquals(msg, bystander.getInputStream().readNBytes(msg.length));
        }
    }

    /**
     * The listener's multishot accept ends with EMFILE three times (armed at listen, then again
     * after each back-off): accepting pauses, resumes by itself, and the waiting client is served.
     * ECONNABORTED belongs to one connection: the accept is armed again at once, with no pause.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"EMFILE", "ECONNABORTED"})
    void anAcceptThatFailsPausesOrGoesOnAsOnEpoll(String errno) throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        int e = Errno.CURRENT.get(errno);
        Faults.fail(Call.ACCEPT, Faults.ANY_FD, 0, e, 3); // before the listener's accept is first armed
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::echo);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            s.setSoTimeout(10_000);
            byte[] msg = bytes(64, 3);
            s.getOutputStream().write(msg);
            assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length), "served once accepting went on");
            assertEquals(3, Faults.fired(Call.ACCEPT));
            LoopStats st = r.loop.stats();
            if (e == Errno.EMFILE) {
                assertTrue(st.acceptPauses() >= 1, st.toString());
                assertTrue(r.errors.stream().allMatch(t -> String.valueOf(t.getMessage()).contains("EMFILE")), r.errors.toString());
            } else {
                assertEquals(0, st.acceptPauses(), "an aborted connection is not exhaustion");
            }
            assertEquals(1, st.accepts());
            assertTrue(!r.listener.isPaused());
        }
    }

    @Test
    void shortSendsSendTheRestInOrder() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::echo);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
            s.setSoTimeout(10_000);
            Await.until("accepted", () -> accepted.size() == 1);
            int fd = accepted.get(0).fd();
            // The next 20 SENDs move at most 777 bytes each: the kernel really sends only that much.
            Faults.limit(Call.WRITE, fd, 0, 777, 20);
            byte[] msg = bytes(64 * 1024, 11);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    s.getOutputStream().write(msg);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            InputStream in = s.getInputStream();
            assertArrayEquals(msg, in.readNBytes(msg.length), "every byte once, in order");
            writer.join(10_000);
            assertEquals(20, Faults.fired(Call.WRITE));
            assertTrue(accepted.get(0).isOpen());
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /**
     * A failed io_uring_enter in the middle of a turn: with a two-entry SQ, the third request of a
     * turn needs a submit first, and that submit fails with ENOMEM (ridden out, as a failed wait
     * is). The connects not yet prepared stay queued and go out next turn; every one completes.
     */
    @Test
    void aFailedSubmitMidTurnKeepsTheQueuedConnectsForTheNextTurn() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             EventLoop loop = EventLoop.open(URING_SQ2)) {
            loop.onError((c, t) -> errors.add(t));
            loop.start("uring-submit-fault");
            java.net.InetSocketAddress at = new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            List<java.util.concurrent.CompletableFuture<Connection>> fs = new CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
            loop.execute(() -> {
                // On the loop: the next io_uring_enter is the submit that makes room mid-turn.
                Faults.fail(Call.WAIT, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
                for (int i = 0; i < 4; i++) fs.add(loop.connect(at, Trigger.LEVEL, (c, b, n) -> { }, java.time.Duration.ofSeconds(10)));
                queued.countDown();
            });
            assertTrue(queued.await(10, TimeUnit.SECONDS));
            List<Socket> peers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) peers.add(server.accept());
                for (var f : fs) assertTrue(f.get(10, TimeUnit.SECONDS).isOpen());
            } finally {
                for (Socket p : peers) p.close();
            }
            assertEquals(1, Faults.fired(Call.WAIT));
            assertTrue(errors.stream().anyMatch(t -> String.valueOf(t.getMessage()).contains("io_uring_enter: ENOMEM")),
                    "reported: " + errors);
            assertNull(loop.terminationCause());
        }
    }

    /** Reads exactly {@code n} bytes from a non-blocking fd (bounded): what arrived. */
    private static byte[] readFully(int fd, int n, java.lang.foreign.Arena a) throws Exception {
        MemorySegment buf = a.allocate(n);
        TcpPair.readNonBlocking(fd, buf, n);
        return buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /**
     * The same for the receives armed and the SENDs submitted in one turn: four connections
     * registered in one task need four receives; four replies written in one task need four
     * SENDs. With a two-entry SQ the third needs a submit, which fails: nothing is dropped, and
     * every byte comes back. ENOMEM is thrown and ridden out (reported); EINTR and EBUSY (the CQ
     * must be reaped first) pass silently, and then the SQ is still full: the request that found
     * no room must stay queued, not count as in flight (it did, once: that connection never read).
     */
    @ParameterizedTest(name = "{1}")
    @MethodSource("submitErrnos")
    void aFailedSubmitMidTurnKeepsTheQueuedReceivesAndSends(int errno, String name) throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int[][] pairs = new int[4][];
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            for (int i = 0; i < 4; i++) pairs[i] = TcpPair.connected();
            List<Connection> conns = new CopyOnWriteArrayList<>();
            try (EventLoop loop = EventLoop.open(URING_SQ2)) {
                loop.onError((c, t) -> errors.add(t));
                loop.start("uring-submit-fault-2");
                OnLoop.call(loop, () -> {
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, errno, 1);
                    for (int[] p : pairs) conns.add(loop.register(p[1], Trigger.LEVEL, EchoServer.ECHO));
                    return null;
                });
                Await.until("the failed submit", () -> Faults.fired(Call.WAIT) == 1);
                MemorySegment msg = a.allocate(100);
                for (int i = 0; i < 4; i++) {
                    msg.fill((byte) ('a' + i));
                    assertEquals(100, io.github.ffmreactor.sys.Unistd.write(io.github.ffmreactor.sys.Native.threadCallState(),
                            pairs[i][0], msg, 0, 100));
                    assertArrayEquals(msg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), readFully(pairs[i][0], 100, a),
                            "echo on connection " + i);
                }
                // Four SENDs in one turn, and the submit that makes room for the third fails.
                byte[] reply = bytes(1000, 5);
                OnLoop.call(loop, () -> {
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, errno, 1);
                    for (Connection c : conns) c.write(reply);
                    return null;
                });
                for (int i = 0; i < 4; i++) assertArrayEquals(reply, readFully(pairs[i][0], 1000, a), "reply on connection " + i);
                assertEquals(2, Faults.fired(Call.WAIT), "one failed submit per phase");
                for (Connection c : conns) assertTrue(c.isOpen());
                assertNull(loop.terminationCause());
            }
        } finally {
            for (int[] p : pairs) if (p != null) io.github.ffmreactor.net.Fds.closeQuietly(p[0]);
        }
        boolean passing = errno != Errno.ENOMEM;
        assertTrue(passing ? errors.isEmpty() : errors.stream().allMatch(t -> String.valueOf(t.getMessage()).contains("io_uring_enter: ENOMEM")),
                "only the failed submits are reported: " + errors);
    }

    static List<Arguments> submitErrnos() {
        return List.of(Arguments.of(Errno.ENOMEM, "ENOMEM"), Arguments.of(Errno.EINTR, "EINTR"),
                Arguments.of(IoUring.EBUSY, "EBUSY"));
    }
}
