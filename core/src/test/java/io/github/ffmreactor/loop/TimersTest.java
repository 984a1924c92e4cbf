package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class TimersTest {
    static List<String> backends() {
        return io.github.ffmreactor.poll.Poller.available();
    }

    /** Runs {@code r} on the loop and waits for it. */
    static void onLoop(EventLoop loop, Runnable r) throws Exception {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                r.run();
                f.complete(null);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        f.get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void timersRunInDeadlineOrderAndCancelledOnesNever(String backend) throws Exception {
        ManualClock clock = new ManualClock();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)), clock)) {
            loop.start("timers");
            List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
            Random rnd = new Random(42);
            int[] delays = new int[200];
            List<Timer> handles = new ArrayList<>();
            for (int i = 0; i < delays.length; i++) {
                delays[i] = 1 + rnd.nextInt(100);
                int id = i;
                handles.add(loop.schedule(delays[i], TimeUnit.MILLISECONDS, () -> ran.add(id)));
            }
            // Cancel every third, some from this thread, some from the loop.
            for (int i = 0; i < delays.length; i += 3) {
                Timer t = handles.get(i);
                if (i % 2 == 0) assertTrue(t.cancel());
                else onLoop(loop, () -> assertTrue(t.cancel()));
                assertFalse(t.cancel(), "second cancel reports false");
            }
            onLoop(loop, () -> {});
            assertEquals(List.of(), ran, "nothing runs before the clock moves");
            clock.advance(50, TimeUnit.MILLISECONDS);
            onLoop(loop, () -> {});
            clock.advance(60, TimeUnit.MILLISECONDS);
            onLoop(loop, () -> {});
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < delays.length; i++) if (i % 3 != 0) expected.add(i);
            // Earliest deadline first; equal deadlines in the order they were scheduled.
            expected.sort((a, b) -> delays[a] != delays[b] ? Integer.compare(delays[a], delays[b]) : Integer.compare(a, b));
            assertEquals(expected, ran);
            for (int i = 0; i < delays.length; i++) assertTrue(handles.get(i).isDone());
        }
    }

    @Test
    void fixedRateRunsOncePerPeriodUntilCancelled() throws Exception {
        ManualClock clock = new ManualClock();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults(), clock)) {
            loop.start("rate");
            int[] count = new int[1];
            Timer t = loop.scheduleAtFixedRate(10, 10, TimeUnit.MILLISECONDS, () -> count[0]++);
            for (int i = 0; i < 5; i++) {
                clock.advance(10, TimeUnit.MILLISECONDS);
                // Two round trips to the loop: the first may run in a turn whose timers were checked
                // just before the clock moved; the second runs in a later turn, after the check.
                // With one, the next advance could find the timer a period behind and skip a run.
                onLoop(loop, () -> {});
                onLoop(loop, () -> {});
            }
            onLoop(loop, () -> assertEquals(5, count[0]));
            // A long stall: missed periods are skipped, not fired in a burst.
            clock.advance(1, TimeUnit.SECONDS);
            onLoop(loop, () -> {});
            onLoop(loop, () -> assertEquals(6, count[0]));
            t.cancel();
            clock.advance(100, TimeUnit.MILLISECONDS);
            onLoop(loop, () -> {});
            onLoop(loop, () -> assertEquals(6, count[0]));
            assertFalse(t.isDone() && !t.isCancelled());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void realClockTimerNeverFiresEarlyAndWakesTheLoop(String backend) throws Exception {
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            loop.start("real");
            CountDownLatch done = new CountDownLatch(3);
            long[] late = new long[3];
            for (int i = 0; i < 3; i++) {
                int k = i;
                long delayMs = 5 + 10L * i;
                long due = System.nanoTime() + delayMs * 1_000_000;
                loop.schedule(delayMs, TimeUnit.MILLISECONDS, () -> {
                    late[k] = System.nanoTime() - due;
                    done.countDown();
                });
            }
            assertTrue(done.await(5, TimeUnit.SECONDS));
            for (long l : late) assertTrue(l >= 0, "fired " + (-l) + " ns early");
            // The loop slept between timers rather than spinning on 0 ms polls.
            assertTrue(loop.stats().waits() < 200, "waits: " + loop.stats().waits());
        }
    }

    @Test
    void tasksFromManyThreadsRunInOrderPerThread() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            loop.start("tasks");
            int threads = 4, perThread = 20_000;
            int[] lastSeen = new int[threads];
            java.util.Arrays.fill(lastSeen, -1);
            int[] outOfOrder = new int[1];
            long[] total = new long[1];
            Thread[] ts = new Thread[threads];
            CountDownLatch go = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        int seq = i;
                        loop.execute(() -> {
                            if (!loop.inLoop() || seq != lastSeen[id] + 1) outOfOrder[0]++;
                            lastSeen[id] = seq;
                            total[0]++;
                        });
                    }
                });
                ts[t].start();
            }
            go.countDown();
            for (Thread t : ts) t.join();
            onLoop(loop, () -> {});
            onLoop(loop, () -> {
                assertEquals(0, outOfOrder[0]);
                assertEquals((long) threads * perThread, total[0]);
            });
            // Coalesced wakeups: far fewer signals than tasks.
            assertTrue(loop.stats().wakeups() < (long) threads * perThread, loop.stats().toString());
        }
    }

    @Test
    void shutdownEndsTheLoopEvenWithTimersPending() throws Exception {
        EventLoop loop = EventLoop.open();
        loop.start("pending");
        loop.schedule(1, TimeUnit.HOURS, () -> {});
        loop.scheduleAtFixedRate(1, 1, TimeUnit.MILLISECONDS, () -> {});
        loop.shutdown(Duration.ofSeconds(1));
        assertTrue(loop.awaitTermination(Duration.ofSeconds(5)));
        loop.close();
    }
}
