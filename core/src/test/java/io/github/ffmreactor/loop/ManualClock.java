package io.github.ffmreactor.loop;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told to. */
public final class ManualClock implements Clock {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    public void advance(long amount, TimeUnit unit) {
        now.addAndGet(unit.toNanos(amount));
    }
}
