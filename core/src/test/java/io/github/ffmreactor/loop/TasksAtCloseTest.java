package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Other threads against a closing loop: a task {@code execute} accepted runs (never accepted and
 * dropped), and a wakeup never writes into the loop's wakeup fd once it may have been closed.
 */
@Timeout(120)
class TasksAtCloseTest {
    /** The loop is inside a task when another thread executes one more and stops it: the second still runs. */
    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void aTaskAcceptedBeforeTheStopRuns(String backend) throws Exception {
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        try (EventLoop loop = TerminationTest.open(backend)) {
            loop.start("accepted-" + backend);
            loop.execute(() -> {
                inside.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            loop.execute(ran::incrementAndGet); // accepted: no exception
            loop.stop();
            release.countDown();
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            assertEquals(1, ran.get(), "execute accepted the task, and the loop dropped it");
        }
    }

    /** Threads execute tasks as fast as they can while the loop stops: every accepted task ran, the rest were refused. */
    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void tasksOfferedWhileTheLoopClosesRunOrAreRefused(String backend) throws Exception {
        for (int round = 0; round < 20; round++) {
            AtomicLong accepted = new AtomicLong(), ran = new AtomicLong();
            AtomicBoolean refusedSeen = new AtomicBoolean();
            try (EventLoop loop = TerminationTest.open(backend)) {
                loop.start("offer-race-" + round);
                List<Thread> offerers = new ArrayList<>();
                CountDownLatch going = new CountDownLatch(3);
                for (int i = 0; i < 3; i++) {
                    offerers.add(Thread.ofPlatform().start(() -> {
                        going.countDown();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (System.nanoTime() < deadline) {
                            try {
                                loop.execute(ran::incrementAndGet);
                                accepted.incrementAndGet();
                            } catch (RejectedExecutionException e) {
                                refusedSeen.set(true);
                                return;
                            }
                        }
                    }));
                }
                assertTrue(going.await(10, TimeUnit.SECONDS));
                Thread.sleep(round % 4); // stop at a different point of the flood each round
                loop.stop();
                assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
                for (Thread t : offerers) t.join(15_000);
            }
            assertTrue(refusedSeen.get(), "the loop refused tasks once it had closed");
            assertEquals(accepted.get(), ran.get(), "round " + round + ": tasks accepted but never run");
        }
    }

    /**
     * The inbox alone, with a signal that stops midway (a signalling thread descheduled between
     * deciding to write and writing): closing must wait for it, so the engine closes its wakeup fd
     * only after the last write into it.
     */
    @Test
    void closeWaitsForASignalInFlight() throws Exception {
        CountDownLatch inSignal = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicBoolean fdClosed = new AtomicBoolean(), wroteAfterClose = new AtomicBoolean();
        Inbox inbox = new Inbox(() -> {
            inSignal.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (fdClosed.get()) wroteAfterClose.set(true);
        });
        assertTrue(inbox.sleep(), "the loop is about to block");
        Thread signaller = Thread.ofPlatform().start(inbox::wakeup);
        assertTrue(inSignal.await(10, TimeUnit.SECONDS));
        // What the loop's end does: close the inbox, then the engine (and its wakeup fd).
        Thread closer = Thread.ofPlatform().start(() -> {
            inbox.close(new Failures(new Counters()));
            fdClosed.set(true);
        });
        closer.join(300);
        assertTrue(closer.isAlive(), "close returned while a wakeup was still writing");
        release.countDown();
        closer.join(10_000);
        signaller.join(10_000);
        assertFalse(wroteAfterClose.get(), "a wakeup wrote after the wakeup fd was closed");
    }

    /** A loop that ended asleep (its wait failed): a later wakeup must not signal. */
    @Test
    void noSignalOnceTheInboxHasClosed() {
        AtomicInteger signals = new AtomicInteger();
        Inbox inbox = new Inbox(signals::incrementAndGet);
        assertTrue(inbox.sleep());
        inbox.close(new Failures(new Counters()));
        inbox.wakeup();
        assertFalse(inbox.offer(() -> {}, false));
        assertEquals(0, signals.get());
    }

    /**
     * The real thing: threads wake the loop as fast as they can while it closes, and as soon as it
     * has, pipes take the fd numbers it freed. Nothing may arrive in them.
     */
    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void wakeupsRacingCloseNeverWriteIntoARecycledFd(String backend) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(arena);
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment buf = arena.allocate(64);
            for (int round = 0; round < 30; round++) {
                EventLoop loop = TerminationTest.open(backend);
                loop.start("wake-race-" + round);
                AtomicBoolean done = new AtomicBoolean();
                List<Thread> wakers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    wakers.add(Thread.ofPlatform().start(() -> {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (!done.get() && System.nanoTime() < deadline) {
                            loop.wakeup();
                            try {
                                loop.execute(() -> {});
                            } catch (RejectedExecutionException closed) {
                                // closed: keep waking, which must stay harmless
                            }
                        }
                    }));
                }
                Thread.sleep(2);
                loop.close();
                int[] pipes = new int[16];
                for (int i = 0; i < pipes.length; i += 2) {
                    assertTrue(Unistd.pipe(cs, fds) >= 0);
                    pipes[i] = fds.get(ValueLayout.JAVA_INT, 0);
                    pipes[i + 1] = fds.get(ValueLayout.JAVA_INT, 4);
                    assertTrue(Unistd.setNonBlockingCloexec(cs, pipes[i]) >= 0);
                }
                Thread.sleep(5); // wakers still running: a stale write has time to land
                done.set(true);
                for (Thread t : wakers) t.join(15_000);
                try {
                    for (int i = 0; i < pipes.length; i += 2) {
                        long n = Unistd.read(cs, pipes[i], buf, 0, buf.byteSize());
                        assertEquals(-Errno.EAGAIN, n, "round " + round + ": a wakeup wrote " + n
                                + " bytes into pipe fd " + pipes[i + 1] + ", a number the closed loop had freed");
                    }
                } finally {
                    for (int fd : pipes) Unistd.close(cs, fd);
                }
            }
        }
    }
}
