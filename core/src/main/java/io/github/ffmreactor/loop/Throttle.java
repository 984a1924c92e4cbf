package io.github.ffmreactor.loop;

import java.io.IOException;

/**
 * One report per second for a condition that can repeat on every turn (accept failing with
 * EMFILE, connections refused over a limit): the first is reported as it is, the rest of the
 * second only counted, and the next report says how many were held back. Loop thread only.
 */
final class Throttle {
    private static final long INTERVAL_NANOS = 1_000_000_000L;
    private long lastNanos;
    private boolean reported;
    private long held;

    void report(Failures failures, Throwable t) {
        long now = System.nanoTime();
        if (reported && now - lastNanos < INTERVAL_NANOS) {
            held++;
            return;
        }
        Throwable r = held == 0 ? t : new IOException(t.getMessage() + " (and " + held
                + " more like it since the last report)", t);
        reported = true;
        lastNanos = now;
        held = 0;
        failures.report(null, r);
    }
}
