package io.github.ffmreactor.loop;

/**
 * Where a loop reads the time for its timers: {@link System#nanoTime()} normally, a clock the test
 * moves by hand when behaviour over minutes (heartbeat expiry) must be checked in milliseconds.
 */
@FunctionalInterface
public interface Clock {
    /** Monotonic nanoseconds; only differences mean anything. */
    long nanoTime();

    Clock SYSTEM = System::nanoTime;
}
