package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Faults.Call;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.OnLoop;
import io.github.ffmreactor.testutil.TcpPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cancels the io_uring engine owes the kernel are never lost: a close (cancel everything on the
 * fd) and a pause (cancel the armed receive) made while the submission queue is full and the submit
 * that would make room fails. With a two-entry SQ, the third request of a turn needs a submit first,
 * and the fault seam fails that io_uring_enter with ENOMEM (ridden out): the cancels not yet
 * prepared stay queued for the next turn. Then every closed fd is closed and every slot released;
 * every paused receive is cancelled.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class UringCancelWhenSubmitFailsTest {
    /** A two-entry SQ: the third request of a turn needs a submit first. */
    private static final LoopOptions URING = LoopOptions.builder().backend(Backend.IO_URING).uringEntries(2).build();
    private static final int PAIRS = 6;

    @AfterEach
    void clear() {
        Faults.clear();
    }

    /** Writes {@code msg} on each client and reads the echo back. */
    private static void echoOnEach(int[][] pairs, Arena a, int seed) throws Exception {
        MemorySegment msg = a.allocate(100);
        MemorySegment back = a.allocate(100);
        for (int i = 0; i < pairs.length; i++) {
            msg.fill((byte) (seed + i));
            assertEquals(100, Unistd.write(Native.threadCallState(), pairs[i][0], msg, 0, 100));
            assertEquals(100, TcpPair.readNonBlocking(pairs[i][0], back, 100));
            assertEquals(-1, msg.mismatch(back), "echo on connection " + i);
        }
    }

    private static List<Connection> registerEchoes(EventLoop loop, int[][] pairs, boolean multishot) throws Exception {
        List<Connection> conns = new CopyOnWriteArrayList<>();
        OnLoop.call(loop, () -> {
            for (int[] p : pairs) {
                Connection c = loop.register(p[1], Trigger.LEVEL, EchoServer.ECHO);
                ((RingStream) c.stream).multishot = multishot; // before its receive is first armed (at the next prepare)
                conns.add(c);
            }
            return null;
        });
        return conns;
    }

    @Test
    void closingManyConnectionsWhileTheSubmitFailsClosesEveryFdAndReleasesEverySlot() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int[][] pairs = new int[PAIRS][];
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < PAIRS; i++) pairs[i] = TcpPair.connected();
            try (EventLoop loop = EventLoop.open(URING)) {
                loop.onError((c, t) -> errors.add(t));
                loop.start("uring-close-fault");
                List<Connection> conns = registerEchoes(loop, pairs, false);
                echoOnEach(pairs, a, 'a'); // every connection now has a receive in flight
                OnLoop.call(loop, () -> {
                    assertEquals(PAIRS, conns.stream().filter(c -> ((UringEngine) loop.engine).armed(c)).count(), "receives in flight");
                    // Six closes in one task: six cancels, and the submit that makes room for the third fails.
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
                    for (Connection c : conns) c.close();
                    return null;
                });
                Await.until("the failed submit", () -> Faults.fired(Call.WAIT) == 1);
                Await.until("every closed channel released",
                        () -> OnLoop.call(loop, () -> ((UringEngine) loop.engine).retiredChannels()) == 0);
                MemorySegment buf = a.allocate(256);
                for (int[] p : pairs) assertEquals(0, TcpPair.readNonBlocking(p[0], buf, -1), "the peer reads EOF: the server fd is closed");
                assertNull(loop.terminationCause());
                for (Connection c : conns) assertTrue(!c.isOpen());
            }
        } finally {
            for (int[] p : pairs) if (p != null) Fds.closeQuietly(p[0]);
        }
        assertTrue(errors.stream().allMatch(t -> String.valueOf(t.getMessage()).contains("io_uring_enter: ENOMEM")),
                "only the failed submit is reported: " + errors);
    }

    /**
     * Reading pauses on many connections at once (each queues output over the limits: input is held
     * and no receive wanted), their multishot receives armed: one cancel each, and the submit that
     * makes room for the third fails. Every receive is still cancelled (none goes on reading while paused); once the peers
     * read it all, reading resumes and echoes again.
     */
    @Test
    void pausingManyConnectionsWhileTheSubmitFailsCancelsEveryArmedReceive() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int[][] pairs = new int[PAIRS][];
        int big = 4 << 20; // far more than the socket buffers of a peer that does not read take
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < PAIRS; i++) pairs[i] = TcpPair.connected();
            try (EventLoop loop = EventLoop.open(URING.withLimits(64 * 1024, 32L << 20))) {
                loop.onError((c, t) -> errors.add(t));
                loop.start("uring-pause-fault");
                List<Connection> conns = registerEchoes(loop, pairs, true);
                echoOnEach(pairs, a, 'a');
                byte[] reply = new byte[big];
                OnLoop.call(loop, () -> {
                    assertEquals(PAIRS, conns.stream().filter(c -> ((UringEngine) loop.engine).armed(c)).count(), "multishot receives in flight");
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
                    for (Connection c : conns) {
                        c.write(reply);
                        assertTrue(((RingStream) c.stream).isHolding(), "over the limits: input held, no receive wanted");
                    }
                    return null;
                });
                Await.until("the failed submit", () -> Faults.fired(Call.WAIT) == 1);
                Await.until("every paused receive cancelled", () -> OnLoop.call(loop, () -> {
                    List<Boolean> stuck = new ArrayList<>();
                    for (Connection c : conns) stuck.add(((UringEngine) loop.engine).armed(c));
                    return !stuck.contains(true);
                }));
                // Still paused (the peers read nothing yet), and no receive went back in flight.
                OnLoop.call(loop, () -> {
                    for (Connection c : conns) {
                        assertTrue((((RingStream) c.stream).isHolding() || c.isReadPaused()) && !((UringEngine) loop.engine).armed(c), "paused, no receive armed");
                    }
                    return null;
                });
                MemorySegment buf = a.allocate(64 * 1024);
                for (int[] p : pairs) assertEquals(big, TcpPair.readNonBlocking(p[0], buf, big));
                echoOnEach(pairs, a, 'k'); // resumed: reading goes on
                for (Connection c : conns) assertTrue(c.isOpen());
                assertNull(loop.terminationCause());
            }
        } finally {
            for (int[] p : pairs) if (p != null) Fds.closeQuietly(p[0]);
        }
        assertTrue(errors.stream().allMatch(t -> String.valueOf(t.getMessage()).contains("io_uring_enter: ENOMEM")),
                "only the failed submit is reported: " + errors);
    }
    /**
     * The loop ends (a submit fails with EBADF mid-turn: not a failure to ride out) with SENDs still
     * in the full SQ and receives in flight; its engine's close must then cancel everything, and
     * the submit that makes room for that cancel fails too. The cancel is tried again: every
     * request completes, and every connection's fd is closed (the peer reads EOF, no fd is left).
     */
    @Test
    void theEngineCloseCancelsEverythingEvenWhenItsFirstSubmitFails() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int[][] pairs = new int[PAIRS][];
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < PAIRS; i++) pairs[i] = TcpPair.connected();
            try (EventLoop loop = EventLoop.open(URING)) {
                loop.onError((c, t) -> errors.add(t));
                loop.start("uring-engine-close-fault");
                List<Connection> conns = registerEchoes(loop, pairs, false);
                echoOnEach(pairs, a, 'a');
                byte[] reply = new byte[1000];
                loop.execute(() -> {
                    // The submit for the third SEND fails (the loop ends), and so does the next one: close's.
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, Errno.EBADF, 2);
                    for (Connection c : conns) c.write(reply);
                });
                assertTrue(loop.awaitTermination(java.time.Duration.ofSeconds(20)), "the loop ended");
                assertTrue(String.valueOf(loop.terminationCause()).contains("EBADF"), String.valueOf(loop.terminationCause()));
                assertEquals(2, Faults.fired(Call.WAIT));
                MemorySegment buf = a.allocate(4096);
                for (int[] p : pairs) TcpPair.readNonBlocking(p[0], buf, -1); // up to EOF: the server fd is closed
            }
        } finally {
            for (int[] p : pairs) if (p != null) Fds.closeQuietly(p[0]);
        }
        assertTrue(errors.stream().allMatch(t -> String.valueOf(t.getMessage()).contains("io_uring_enter: EBADF")),
                "only the failed submits are reported: " + errors);
    }
    /**
     * Every submit fails (EBADF, for good): the loop ends, and its close can neither cancel nor
     * reap. It gives up after a few tries, leaves the memory the kernel could still touch allocated,
     * but closes the fds of the closed channels (the peers read EOF once the ring's teardown ends
     * their requests; no fd is left).
     */
    @Test
    void anEngineCloseThatCannotReapStillClosesTheFds() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        int[][] pairs = new int[PAIRS][];
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < PAIRS; i++) pairs[i] = TcpPair.connected();
            try (EventLoop loop = EventLoop.open(URING)) {
                loop.onError((c, t) -> { });
                loop.start("uring-engine-close-gives-up");
                List<Connection> conns = registerEchoes(loop, pairs, false);
                echoOnEach(pairs, a, 'a');
                byte[] reply = new byte[1000];
                loop.execute(() -> {
                    Faults.fail(Call.WAIT, Faults.ANY_FD, 0, Errno.EBADF, 1000);
                    for (Connection c : conns) c.write(reply);
                });
                assertTrue(loop.awaitTermination(java.time.Duration.ofSeconds(20)), "the loop ended");
                assertTrue(String.valueOf(loop.terminationCause()).contains("EBADF"), String.valueOf(loop.terminationCause()));
                assertTrue(Faults.fired(Call.WAIT) >= 4, "close tried again: " + Faults.fired(Call.WAIT));
                MemorySegment buf = a.allocate(4096);
                for (int[] p : pairs) TcpPair.readNonBlocking(p[0], buf, -1); // up to EOF: the server fd is closed
            }
        } finally {
            for (int[] p : pairs) if (p != null) Fds.closeQuietly(p[0]);
        }
    }
}
