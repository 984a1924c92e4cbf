package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.FdCount;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a loop's end means to the threads around it: awaitTermination's true, and the timers that
 * were still pending.
 */
@Timeout(60)
class TerminationTest {
    static List<String> backends() {
        return Backends.loops();
    }

    /** A loop on {@code backend} (a name from {@link Backends#loops}). */
    static EventLoop open(String backend) throws Exception {
        return EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
    }

    /** The group's hook runs after everything is closed, on the loop thread: a slow one must not make true a lie. */
    @ParameterizedTest
    @MethodSource("backends")
    void awaitTerminationTrueMeansTheLoopThreadHasEnded(String backend) throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = open(backend)) {
            loop.afterTermination = () -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Thread t = loop.start("await-" + backend);
            loop.stop();
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            assertFalse(t.isAlive(), "awaitTermination returned true while the loop thread was still running");
        }
        FdCount.assertBackTo(before);
    }

    /** The same without a hook, many times: the thread's last steps after closing must be over too. */
    @ParameterizedTest
    @MethodSource("backends")
    void awaitTerminationTrueAfterStopManyTimes(String backend) throws Exception {
        for (int i = 0; i < 50; i++) {
            try (EventLoop loop = open(backend)) {
                Thread t = loop.start("await-race-" + i);
                loop.execute(() -> {});
                loop.stop();
                assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
                assertFalse(t.isAlive(), "round " + i + ": loop thread still alive after awaitTermination returned true");
            }
        }
    }

    /** A short timeout that runs out while the hook still runs says false, and a later call says true. */
    @ParameterizedTest
    @MethodSource("backends")
    void awaitTerminationFalseWhileTheThreadStillRuns(String backend) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (EventLoop loop = open(backend)) {
            loop.afterTermination = () -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Thread t = loop.start("await-false");
            loop.stop();
            assertFalse(loop.awaitTermination(Duration.ofMillis(200)));
            release.countDown();
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            assertFalse(t.isAlive());
        }
    }

    /** A waiter that began before the loop had a thread: it still waits for the thread start() made. */
    @ParameterizedTest
    @MethodSource("backends")
    void awaitTerminationAskedBeforeStartWaitsForTheThread(String backend) throws Exception {
        try (EventLoop loop = open(backend)) {
            java.util.concurrent.CompletableFuture<Boolean> waited = new java.util.concurrent.CompletableFuture<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    waited.complete(loop.awaitTermination(Duration.ofSeconds(10)));
                } catch (Throwable e) {
                    waited.completeExceptionally(e);
                }
            });
            Thread.sleep(50); // the waiter is waiting before there is a loop thread
            loop.afterTermination = () -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Thread t = loop.start("await-before-start");
            loop.stop();
            assertTrue(waited.get(15, TimeUnit.SECONDS));
            assertFalse(t.isAlive());
            waiter.join(10_000);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void pendingTimersEndCancelledAndCancelAfterwardsIsANoOp(String backend) throws Exception {
        AtomicInteger ran = new AtomicInteger();
        Timer once, periodic, queued;
        try (EventLoop loop = open(backend)) {
            loop.start("timers-" + backend);
            once = loop.schedule(1, TimeUnit.HOURS, ran::incrementAndGet);
            periodic = loop.scheduleAtFixedRate(1, 1, TimeUnit.HOURS, ran::incrementAndGet);
            // Scheduled from this thread just before the stop: its add is still a queued task.
            queued = loop.schedule(1, TimeUnit.HOURS, ran::incrementAndGet);
            loop.stop();
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            for (Timer t : new Timer[] {once, periodic, queued}) {
                assertTrue(t.isCancelled(), "a timer pending at termination ends cancelled");
                assertTrue(t.isDone(), "a timer pending at termination is done");
                boolean[] again = new boolean[1];
                assertDoesNotThrow(() -> again[0] = t.cancel(), "cancel after termination");
                assertFalse(again[0], "it was already cancelled");
            }
            assertEquals(0, ran.get());
            assertThrows(RejectedExecutionException.class, () -> loop.schedule(1, TimeUnit.SECONDS, () -> {}));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void cancelAfterTerminationDoesNotThrow(String backend) throws Exception {
        try (EventLoop loop = open(backend)) {
            loop.start("cancel-" + backend);
            Timer t = loop.schedule(1, TimeUnit.HOURS, () -> {});
            loop.stop();
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            assertDoesNotThrow(t::cancel);
            assertTrue(t.isCancelled());
        }
    }

    /** A loop closed without ever running: its timers end cancelled too. */
    @ParameterizedTest
    @MethodSource("backends")
    void timersOfALoopThatNeverRanEndCancelled(String backend) throws Exception {
        int before = FdCount.now();
        Timer t;
        try (EventLoop loop = open(backend)) {
            t = loop.schedule(1, TimeUnit.MILLISECONDS, () -> {});
        }
        assertTrue(t.isCancelled() && t.isDone());
        assertFalse(t.cancel());
        FdCount.assertBackTo(before);
    }
}
