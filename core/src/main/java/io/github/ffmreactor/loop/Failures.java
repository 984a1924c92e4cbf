package io.github.ffmreactor.loop;

import java.util.function.BiConsumer;

/**
 * Where a loop's failures go. A channel that fails (its handler threw, an unexpected errno on its
 * fd, a registration the poller refused) is counted, reported once and closed, and the loop goes
 * on; anything else (a task, a timer, an accept error, the engine ending the loop) is reported.
 * Reports go to the user's reporter ({@link EventLoop#onError}), standard error by default; a
 * reporter that throws is ignored, so reporting never takes the loop down.
 */
final class Failures {
    private final Counters counters;
    private volatile BiConsumer<Connection, Throwable> reporter = Failures::print;

    Failures(Counters counters) {
        this.counters = counters;
    }

    /** Who hears about failures from now on. Any thread. */
    void reportTo(BiConsumer<Connection, Throwable> reporter) {
        this.reporter = reporter;
    }

    /** A channel failed: report it once, count it, close it. Loop thread. */
    void fail(Channel c, Throwable t) {
        counters.failure();
        report(c instanceof Connection k ? k : null, t);
        try {
            c.closeNow(t);
        } catch (Throwable again) {
            report(null, again);
        }
    }

    /** Reports {@code t} ({@code c}: the connection it concerns, or null for the loop). */
    void report(Connection c, Throwable t) {
        try {
            reporter.accept(c, t);
        } catch (Throwable ignored) {
            // The reporter itself failed (or there is none); the loop goes on.
        }
    }

    private static void print(Connection c, Throwable t) {
        System.err.println("ffmreactor: " + (c == null ? "loop" : "connection fd " + c.fd()) + ": " + t);
    }
}
