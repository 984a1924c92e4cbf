package io.github.ffmreactor.loop;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Measures timer lateness (not a unit test; numbers go to native-notes/timers.md):
 * {@code java --enable-native-access=ALL-UNNAMED -cp core/target/classes:core/target/test-classes
 * io.github.ffmreactor.loop.TimerAccuracy [timers] [rounds]}.
 */
public final class TimerAccuracy {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        try (EventLoop loop = EventLoop.open()) {
            loop.start("accuracy");
            for (int r = 0; r < rounds; r++) {
                // One-shot: n timers due at random times 1..10 ms from now.
                long[] late = new long[n];
                CountDownLatch done = new CountDownLatch(n);
                Random rnd = new Random(r);
                for (int i = 0; i < n; i++) {
                    int k = i;
                    long delayNanos = TimeUnit.MICROSECONDS.toNanos(1000 + rnd.nextInt(9000));
                    long due = System.nanoTime() + delayNanos;
                    loop.schedule(delayNanos, TimeUnit.NANOSECONDS, () -> {
                        late[k] = System.nanoTime() - due;
                        done.countDown();
                    });
                }
                done.await(10, TimeUnit.SECONDS);
                report("one-shot x" + n + " (1..10 ms)", late, loop);
                Thread.sleep(50);
            }
            // Fixed rate: a 1 ms tick for one second; lateness of each run against its grid point
            // (start + k ms), and how many grid points were skipped because the loop was too late.
            int runs = 1000;
            long[] tickLate = new long[runs];
            CountDownLatch ticks = new CountDownLatch(runs);
            int[] i = new int[1];
            long[] lastK = new long[1];
            long scheduledAt = System.nanoTime();
            Timer t = loop.scheduleAtFixedRate(1, 1, TimeUnit.MILLISECONDS, () -> {
                if (i[0] >= runs) return;
                long off = System.nanoTime() - (scheduledAt + 1_000_000);
                tickLate[i[0]++] = off % 1_000_000;
                lastK[0] = off / 1_000_000;
                ticks.countDown();
            });
            ticks.await(10, TimeUnit.SECONDS);
            t.cancel();
            report("fixed rate 1 ms x" + runs + " (skipped " + (lastK[0] + 1 - runs) + ")", tickLate, loop);
        }
    }

    static void report(String what, long[] late, EventLoop loop) {
        long[] s = late.clone();
        Arrays.sort(s);
        System.out.printf("%-40s lateness us: min %d p50 %d p99 %d max %d  early: %d  (loop waits so far %d)%n", what,
                s[0] / 1000, s[s.length / 2] / 1000, s[(int) (s.length * 0.99)] / 1000, s[s.length - 1] / 1000,
                Arrays.stream(s).filter(x -> x < 0).count(), loop.stats().waits());
    }
}
