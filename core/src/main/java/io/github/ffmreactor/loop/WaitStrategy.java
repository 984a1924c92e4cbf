package io.github.ffmreactor.loop;

import java.time.Duration;
import java.util.Locale;

/**
 * How a loop waits when it has nothing to do.
 *
 * <ul>
 *   <li>{@link Block} (the default): sleep in the kernel's wait until an event, a timer or a
 *       wakeup. Costs nothing while idle; each round trip pays for waking the thread.
 *   <li>{@link Spin}: poll without waiting, forever. The lowest latency, and a whole core busy
 *       even when there is no traffic.
 *   <li>{@link SpinThenPark}: spin while there was an event, a task or a timer within the last
 *       {@code parkAfter}, then block. Under steady traffic it never sleeps; idle, it costs what
 *       blocking costs.
 * </ul>
 *
 * A spinning loop counts as awake, so {@link EventLoop#execute} from another thread needs no
 * native wakeup signal: the next spin sees the task.
 */
public sealed interface WaitStrategy permits WaitStrategy.Block, WaitStrategy.Spin, WaitStrategy.SpinThenPark {
    WaitStrategy BLOCK = new Block();
    WaitStrategy SPIN = new Spin();

    /** The syntax {@link #parse} takes, for usage lines. */
    String SYNTAX = "block|spin|spin-then-park:<duration>";

    record Block() implements WaitStrategy {
        @Override public String toString() { return "block"; }
    }

    record Spin() implements WaitStrategy {
        @Override public String toString() { return "spin"; }
    }

    /** @param parkAfter how long after the last event, task or timer the loop keeps spinning */
    record SpinThenPark(Duration parkAfter) implements WaitStrategy {
        public SpinThenPark {
            if (parkAfter == null || parkAfter.isNegative() || parkAfter.isZero()) {
                throw new IllegalArgumentException("spin-then-park needs a positive duration, got " + parkAfter);
            }
        }

        @Override public String toString() { return "spin-then-park:" + format(parkAfter); }
    }

    /**
     * {@code block}, {@code spin} or {@code spin-then-park:<duration>}, the duration a positive
     * whole number with a unit: {@code ns}, {@code us}, {@code ms} or {@code s} (e.g. {@code 50us}).
     *
     * @throws IllegalArgumentException saying what was expected and what was given
     */
    static WaitStrategy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("block")) return BLOCK;
        if (t.equals("spin")) return SPIN;
        String prefix = "spin-then-park:";
        if (t.startsWith(prefix)) return new SpinThenPark(parseDuration(t.substring(prefix.length()), text));
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
            throw new IllegalArgumentException("spin-then-park needs a duration: a whole number and ns, us, ms or s"
                    + " (e.g. spin-then-park:50us), got '" + whole + "'");
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(d.substring(0, i)), per);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("spin-then-park duration is too large: '" + whole + "'");
        }
        if (n == 0) throw new IllegalArgumentException("spin-then-park needs a positive duration, got '" + whole + "'");
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
