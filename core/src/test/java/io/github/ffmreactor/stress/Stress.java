package io.github.ffmreactor.stress;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.ServerProcess;
import java.time.Duration;
import java.util.Locale;

/**
 * Sizes and the end-of-case checks every stress case shares. {@code mvn -Pstress} sets
 * {@code ffmreactor.stress.full=true} and runs the sizes of issue 8; the default build runs the
 * bounded core (the same cases, smaller).
 */
final class Stress {
    private Stress() {}

    static final boolean FULL = Boolean.getBoolean("ffmreactor.stress.full");

    /** A loop thread using more than this share of a core while nothing is asked of it spins. */
    static final double SPIN = 0.10;

    static int size(int bounded, int full) {
        return FULL ? full : bounded;
    }

    static Duration duration(int boundedSeconds, int fullSeconds) {
        return Duration.ofSeconds(size(boundedSeconds, fullSeconds));
    }

    /**
     * Skips a case whose trigger the engine named in {@code ffmreactor.stress.serverArgs}
     * ({@code --backend NAME}) refuses by design: poll and select have no edge triggering, and a
     * server asked for it exits at start with a clear error instead of serving.
     */
    static void assumeEngineTakes(String trigger) {
        String[] w = System.getProperty("ffmreactor.stress.serverArgs", "").trim().split("\\s+", -1);
        for (int i = 0; i + 1 < w.length; i++) {
            if (!w[i].equals("--backend") || w[i + 1].equals("auto")) continue;
            Trigger t = Trigger.valueOf(trigger.toUpperCase(Locale.ROOT));
            assumeTrue(Backends.takes(w[i + 1], t), w[i + 1] + " has no " + trigger + " triggering");
        }
    }

    static void report(String format, Object... args) {
        System.out.println("[stress] " + String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    /** The server's open fds and RSS once it has served a few echoes (its code loaded and warm). */
    record Baseline(int fds, long rssKiB) {}

    static Baseline warmUp(ServerProcess s) throws Exception {
        for (int i = 0; i < 20; i++) s.assertEchoes(64 * 1024);
        // The server closes the warm-up connections when it reads their EOF: the count is taken once
        // it has stayed the same for 300 ms.
        long[] last = {-1, 0};
        Await.until(Duration.ofSeconds(10), "server fds steady after warm-up", () -> {
            int now = s.fds();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            return System.nanoTime() - last[1] >= 300_000_000L;
        });
        Baseline b = new Baseline(s.fds(), s.rssKiB());
        report("%s baseline: fds=%d rss=%d KiB", s.readyLine(), b.fds(), b.rssKiB());
        return b;
    }

    /** Waits (up to 30 s) for the server's fd count to be the baseline's again; fails with the delta. */
    static void awaitFdsBack(String name, ServerProcess s, Baseline b) throws Exception {
        try {
            Await.until(Duration.ofSeconds(30), "fds back to " + b.fds(), () -> s.fds() == b.fds());
        } catch (AssertionError e) {
            throw new AssertionError(name + ": server fd delta " + (s.fds() - b.fds()) + " after 30 s (" + b.fds()
                    + " before, " + s.fds() + " after)\n" + s.output());
        }
    }

    /**
     * What every case asserts at its end: the server's fd count is back to the baseline (delta 0),
     * its RSS grew by at most {@code maxRssGrowthMiB}, its loop thread is idle when nothing is
     * asked of it, and it still echoes. Prints what it measured.
     */
    static void assertRecovered(String name, ServerProcess s, Baseline b, long maxRssGrowthMiB) throws Exception {
        if (!s.alive()) throw new AssertionError(name + ": server " + s.status() + "\n" + s.output());
        awaitFdsBack(name, s, b);
        long growth = s.rssKiB() - b.rssKiB();
        double idle = s.loopCpuShare(Duration.ofSeconds(1));
        report("%s end: fd delta %d, rss %d KiB (growth %d KiB), idle loop cpu %.1f%% of a core",
                name, s.fds() - b.fds(), s.rssKiB(), growth, idle * 100);
        if (growth > maxRssGrowthMiB * 1024) {
            throw new AssertionError(name + ": server RSS grew by " + growth / 1024 + " MiB, bound " + maxRssGrowthMiB + " MiB");
        }
        if (idle > SPIN) {
            throw new AssertionError(name + ": idle loop thread used " + Math.round(idle * 100) + "% of a core\n" + s.output());
        }
        s.assertEchoes(100_000);
        Await.until(Duration.ofSeconds(10), "fds back to " + b.fds() + " after the last echo", () -> s.fds() == b.fds());
    }

    /** Stops the server with SIGTERM: it must end as a signalled, orderly stop (not its exit 1). */
    static void assertStopsCleanly(String name, ServerProcess s) throws Exception {
        int code = s.stop();
        String out = s.output();
        report("%s exit code after SIGTERM: %d", name, code);
        // The JVM reports a SIGTERM stop as 143 (128 + 15) even when main returns 0 meanwhile.
        if (code != 0 && code != 143) throw new AssertionError(name + ": exit code " + code + " after SIGTERM\n" + out);
        if (!out.contains("stopped:")) throw new AssertionError(name + ": no 'stopped:' line\n" + out);
    }
}
