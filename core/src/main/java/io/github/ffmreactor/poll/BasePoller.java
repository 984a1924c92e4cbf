package io.github.ffmreactor.poll;

/**
 * What every backend shares and none should get wrong on its own: the counters, the closed state,
 * a wakeup that is safe from any thread and a no-op after close (so it never signals an fd number
 * the kernel has recycled), and a close that releases the kernel object exactly once. Each backend
 * file keeps only the translation to its own syscalls.
 */
abstract sealed class BasePoller implements Poller
        permits EpollPoller, KqueuePoller, PollPoller, SelectPoller, WinSelectPoller {
    /** Set once, under the monitor, by {@link #close()}; read by the owning thread. */
    boolean closed;
    long waits, eventCount, interrupted, ctlCalls;
    private volatile long wakeupsSent;

    /** Sends the backend's wakeup signal (eventfd write, EVFILT_USER trigger, a pipe byte...). */
    abstract void signalWakeup();

    /** Closes the kernel objects and frees native memory; called once. */
    abstract void release();

    final void checkOpenPoller() {
        if (closed) throw new IllegalStateException("poller is closed");
    }

    @Override
    public final synchronized void wakeup() {
        if (closed) return;
        wakeupsSent++; // before the signal, so the woken loop already counts it
        signalWakeup();
    }

    @Override
    public final PollerStats stats() {
        return new PollerStats(waits, eventCount, interrupted, wakeupsSent, ctlCalls);
    }

    @Override
    public final void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        release();
    }
}
