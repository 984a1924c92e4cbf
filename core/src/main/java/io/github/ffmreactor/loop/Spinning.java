package io.github.ffmreactor.loop;

/**
 * The loop's per-turn choice between polling without waiting (spinning, the loop stays AWAKE, so
 * other threads' {@code execute} sends no wakeup) and a blocking wait, per its {@link WaitStrategy}.
 * Loop thread only. Blocking reads no clock; spin-then-park reads it once a turn.
 */
final class Spinning {
    private static final int BLOCK = 0, SPIN = 1, SPIN_THEN_PARK = 2;

    private final int mode;
    private final long parkAfterNanos;
    private long lastActive = System.nanoTime();
    private boolean activeSinceCheck;

    Spinning(WaitStrategy w) {
        switch (w) {
            case WaitStrategy.Block b -> { mode = BLOCK; parkAfterNanos = 0; }
            case WaitStrategy.Spin s -> { mode = SPIN; parkAfterNanos = 0; }
            case WaitStrategy.SpinThenPark p -> { mode = SPIN_THEN_PARK; parkAfterNanos = p.parkAfter().toNanos(); }
        }
    }

    /** The turn did something (an event, a task, a timer, a carried read): keep spinning a while. */
    void active() {
        activeSinceCheck = true;
    }

    /** Whether the coming wait should poll with timeout 0 instead of blocking. */
    boolean spin() {
        if (mode != SPIN_THEN_PARK) return mode == SPIN;
        long now = System.nanoTime();
        if (activeSinceCheck) {
            activeSinceCheck = false;
            lastActive = now;
        }
        return now - lastActive < parkAfterNanos;
    }
}
