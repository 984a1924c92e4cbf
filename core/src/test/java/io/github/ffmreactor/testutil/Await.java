package io.github.ffmreactor.testutil;

import java.time.Duration;

/** Waiting on a condition, bounded in time: the one place tests wait. */
public final class Await {
    private Await() {}

    /** A condition that may do I/O or ask the loop (and so throw). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Re-checks {@code cond} until it holds; fails naming {@code what} after 10 s. */
    public static void until(String what, Condition cond) throws Exception {
        until(Duration.ofSeconds(10), what, cond);
    }

    public static void until(Duration max, String what, Condition cond) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!cond.holds()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out after " + max + " waiting for " + what);
            Thread.sleep(2); // a pause between checks, not a wait for something to happen
        }
    }
}
