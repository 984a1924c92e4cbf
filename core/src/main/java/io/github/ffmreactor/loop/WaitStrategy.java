package io.github.ffmreactor.loop;

import java.time.Duration;
import java.util.Locale;

/**
 * How a loop waits when it has nothing to do. A strategy is configuration, shared by the loops of
 * a group; each loop asks it for its own {@link Idler} (which may keep state: loop thread only).
 *
 * <ul>
 *   <li>{@link Block} (the default): sleep in the kernel's wait until an event, a timer or a
 *       wakeup. Costs nothing while idle; each round trip pays for waking the thread.
 *   <li>{@link Spin}: poll without waiting, forever. The lowest latency, and a whole core busy
 *       even when there is no traffic.
 *   <li>{@link SpinThenPark}: spin while there was an event, a task or a timer within the last
 *       {@code parkAfter}, then block. Under steady traffic it never sleeps; idle, it costs what
 *       blocking costs.
 *   <li>{@link Backoff}: after the last work, spin {@code spins} turns, then yield the CPU for
 *       {@code yields} turns, then wait in the kernel with timeouts growing from 1 ms to
 *       {@code maxPark} (a waiting loop still wakes at once for events, timers and tasks).
 *   <li>your own: implement {@link #idler()}.
 * </ul>
 *
 * A loop whose idler returns 0 counts as awake, so {@link EventLoop#execute} from another thread
 * needs no native wakeup signal: the next turn sees the task. Any other answer marks the loop
 * asleep before its wait, and a task queued then signals it once.
 */
public interface WaitStrategy {
    WaitStrategy BLOCK = new Block();
    WaitStrategy SPIN = new Spin();

    /** The syntax {@link #parse} takes, for usage lines. */
    String SYNTAX = "block|spin|spin-then-park:<duration>|backoff[:<max-park>]";

    /** Returned by {@link Idler#idle}: wait until an event, a timer or a wakeup. */
    long BLOCK_UNTIL_WORK = -1;

    /** A fresh idler for one loop; called once, when the loop opens. */
    Idler idler();

    /**
     * One loop's waiting policy, asked before every wait of a loop's runner (loop thread only;
     * it must not block, and should not allocate).
     */
    @FunctionalInterface
    interface Idler {
        /**
         * The timeout of the next wait, from what the last turn did.
         *
         * @param workCount what the last turn did (events, carried reads, timers, tasks); 0 = nothing
         * @return the wait's timeout in milliseconds: 0 polls without sleeping (the loop stays
         *         awake), {@link #BLOCK_UNTIL_WORK} (any negative) waits until an event, a timer or
         *         a wakeup, n &gt; 0 waits at most n ms. Timers due earlier shorten any wait.
         */
        long idle(int workCount);
    }

    record Block() implements WaitStrategy {
        @Override public Idler idler() { return work -> BLOCK_UNTIL_WORK; }
        @Override public String toString() { return "block"; }
    }

    record Spin() implements WaitStrategy {
        @Override public Idler idler() { return work -> 0; }
        @Override public String toString() { return "spin"; }
    }

    /**
     * Polls without sleeping while work comes, and blocks in the wait once none came for {@code parkAfter}.
     *
     * @param parkAfter how long after the last event, task or timer the loop keeps spinning
     */
    record SpinThenPark(Duration parkAfter) implements WaitStrategy {
        public SpinThenPark {
            if (parkAfter == null || parkAfter.isNegative() || parkAfter.isZero()) {
                throw new IllegalArgumentException("spin-then-park needs a positive duration, got " + parkAfter);
            }
        }

        @Override
        public Idler idler() {
            long window = parkAfter.toNanos();
            return new Idler() {
                private long lastActive = System.nanoTime();

                @Override
                public long idle(int workCount) {
                    long now = System.nanoTime();
                    if (workCount > 0) lastActive = now;
                    return now - lastActive < window ? 0 : BLOCK_UNTIL_WORK;
                }
            };
        }

        @Override public String toString() { return "spin-then-park:" + format(parkAfter); }
    }

    /**
     * Spin, then yield, then wait with growing timeouts (as Agrona's BackoffIdleStrategy), reset
     * by any work.
     *
     * @param spins   idle turns that poll without sleeping
     * @param yields  idle turns after those that also {@link Thread#yield()}
     * @param maxPark the longest timed wait (at least 1 ms); timeouts double from 1 ms up to it
     */
    record Backoff(int spins, int yields, Duration maxPark) implements WaitStrategy {
        public static final int DEFAULT_SPINS = 100, DEFAULT_YIELDS = 10;
        public static final Duration DEFAULT_MAX_PARK = Duration.ofMillis(100);

        public Backoff {
            if (spins < 0 || yields < 0) {
                throw new IllegalArgumentException("backoff needs spins and yields >= 0, got " + spins + ", " + yields);
            }
            if (maxPark == null || maxPark.toMillis() < 1) {
                throw new IllegalArgumentException("backoff needs a max park of at least 1ms, got " + maxPark);
            }
        }

        public Backoff(Duration maxPark) {
            this(DEFAULT_SPINS, DEFAULT_YIELDS, maxPark);
        }

        @Override
        public Idler idler() {
            long max = Math.min(Integer.MAX_VALUE, maxPark.toMillis());
            int spinUntil = spins, yieldUntil = spins + yields;
            return new Idler() {
                private int idleTurns;
                private long park;

                @Override
                public long idle(int workCount) {
                    if (workCount > 0) {
                        idleTurns = 0;
                        park = 0;
                        return 0;
                    }
                    if (idleTurns < spinUntil) {
                        idleTurns++;
                        return 0;
                    }
                    if (idleTurns < yieldUntil) {
                        idleTurns++;
                        yieldThread();
                        return 0;
                    }
                    park = park == 0 ? 1 : Math.min(max, park * 2);
                    return park;
                }
            };
        }

        // The yield phase of a back-off is the strategy itself (Agrona's BackoffIdleStrategy does
        // the same): hand the core to another thread before parking, without a timed sleep.
        @SuppressWarnings("ThreadPriorityCheck")
        private static void yieldThread() {
            Thread.yield();
        }

        @Override
        public String toString() {
            String base = maxPark.equals(DEFAULT_MAX_PARK) ? "backoff" : "backoff:" + format(maxPark);
            return spins == DEFAULT_SPINS && yields == DEFAULT_YIELDS ? base
                    : "Backoff[spins=" + spins + ", yields=" + yields + ", maxPark=" + maxPark + "]";
        }
    }

    /**
     * {@code block}, {@code spin}, {@code spin-then-park:<duration>} or {@code backoff} /
     * {@code backoff:<max-park>} (default 100ms, at least 1ms), a duration being a positive whole
     * number with a unit: {@code ns}, {@code us}, {@code ms} or {@code s} (e.g. {@code 50us}).
     *
     * @throws IllegalArgumentException saying what was expected and what was given
     */
    static WaitStrategy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("block")) return BLOCK;
        if (t.equals("spin")) return SPIN;
        String prefix = "spin-then-park:";
        if (t.startsWith(prefix)) return new SpinThenPark(parseDuration(t.substring(prefix.length()), text));
        if (t.equals("backoff")) return new Backoff(Backoff.DEFAULT_MAX_PARK);
        if (t.startsWith("backoff:")) {
            Duration max = parseDuration(t.substring("backoff:".length()), text);
            if (max.toMillis() < 1) {
                throw new IllegalArgumentException("backoff needs a max park of at least 1ms, got '" + text + "'");
            }
            return new Backoff(max);
        }
        throw new IllegalArgumentException("wait strategy must be " + SYNTAX + " (e.g. spin-then-park:50us), got '"
                + text + "'");
    }

    private static Duration parseDuration(String d, String whole) {
        int i = 0;
        while (i < d.length() && Character.isDigit(d.charAt(i))) i++;
        String unit = d.substring(i);
        long per = switch (unit) {
            case "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            default -> -1L;
        };
        if (i == 0 || per < 0) {
            throw new IllegalArgumentException("wait strategy " + SYNTAX + " needs a duration: a whole number and"
                    + " ns, us, ms or s (e.g. spin-then-park:50us), got '" + whole + "'");
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(d.substring(0, i)), per);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("wait strategy duration is too large: '" + whole + "'");
        }
        if (n == 0) throw new IllegalArgumentException("wait strategy needs a positive duration, got '" + whole + "'");
        return Duration.ofNanos(n);
    }

    /** Short durations as {@code <n><unit>}, the form {@link #parse} reads. */
    private static String format(Duration d) {
        long n = d.toNanos();
        if (n % 1_000_000_000L == 0) return n / 1_000_000_000L + "s";
        if (n % 1_000_000L == 0) return n / 1_000_000L + "ms";
        if (n % 1_000L == 0) return n / 1_000L + "us";
        return n + "ns";
    }
}
