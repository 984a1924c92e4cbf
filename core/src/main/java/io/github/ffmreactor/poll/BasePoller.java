package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;

/**
 * What every backend shares and none should get wrong on its own: the counters, the closed state,
 * a wakeup that is safe from any thread and a no-op after close (so it never signals an fd number
 * the kernel has recycled), a close that releases the kernel object exactly once, and the wait:
 * the EINTR retry and its counting around one small {@link #waitOnce} per backend. Each backend
 * file keeps only the translation to its own syscalls.
 */
abstract sealed class BasePoller implements Poller
        permits EpollPoller, KqueuePoller, PollPoller, SelectPoller, WinSelectPoller {
    /** Set once, under the monitor, by {@link #close()}; read by the owning thread. */
    boolean closed;
    long waits, eventCount, interrupted, ctlCalls;
    private volatile long wakeupsSent;

    /**
     * One call into the kernel's wait: the syscall and the argument set-up it needs (a timeout
     * struct, fd sets that the call overwrites), nothing else; returns the result or -errno.
     *
     * <p>Kept small in every backend on purpose: C2 removes the 40-byte slice the errno-capture
     * adapter makes per call only when it inlines the whole adapter into its compiled caller, and a
     * big caller runs out of inlining budget first (native-notes/ffm.md).
     */
    abstract int waitOnce(int timeoutMillis);

    /**
     * Turns the {@code n > 0} results of the last wait into events readable by index, drops the
     * wakeup (consuming its signal), and returns how many events are left.
     */
    abstract int collect(int n);

    /** The wait's syscall name, for errors: {@code epoll_wait}, {@code select}... */
    abstract String waitCall();

    @Override
    public final int poll(int timeoutMillis) throws NativeException {
        checkOpenPoller();
        // The monotonic start of a timed wait, for the time left after an EINTR (no cost at timeout 0,
        // the busy loop's case; a vDSO clock read, no allocation, for a wait that may sleep).
        long start = timeoutMillis > 0 ? System.nanoTime() : 0;
        int n = countedWait(timeoutMillis);
        if (n == -Errno.EINTR) n = waitOnAfterSignal(timeoutMillis, start);
        if (n < 0) throw Errno.exception(waitCall(), -n);
        int out = n == 0 ? 0 : collect(n);
        eventCount += out;
        return out;
    }

    /**
     * After an EINTR: waits again for what is left of the timeout, not the whole of it (as libuv's
     * uv__io_poll does), so a signal late in a timer's wait does not double it and a storm of
     * signals (a profiler's) cannot postpone a timer for ever. The left time is measured on the
     * monotonic clock ({@link System#nanoTime}) from the first wait's start. Kept out of
     * {@link #poll} so the common path stays as small as before.
     */
    private int waitOnAfterSignal(int timeoutMillis, long start) {
        if (timeoutMillis == 0) return 0; // a zero-timeout wait that a signal cut short found nothing
        long deadline = start + timeoutMillis * 1_000_000L;
        int left = timeoutMillis;
        int n;
        do {
            if (timeoutMillis > 0) {
                long ns = deadline - System.nanoTime();
                if (ns <= 0) return 0;
                // Round up: a wait that ends a fraction of a millisecond early would be one more turn.
                left = (int) Math.min(Integer.MAX_VALUE, (ns + 999_999) / 1_000_000);
            }
            n = countedWait(left);
        } while (n == -Errno.EINTR);
        return n;
    }

    private int countedWait(int timeoutMillis) {
        waits++;
        int n = waitOnce(timeoutMillis);
        if (n == -Errno.EINTR) interrupted++;
        return n;
    }

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
