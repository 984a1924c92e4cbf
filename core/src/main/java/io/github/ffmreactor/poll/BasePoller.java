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
        int n;
        do {
            n = countedWait(timeoutMillis);
        } while (n == -Errno.EINTR);
        if (n < 0) throw Errno.exception(waitCall(), -n);
        int out = n == 0 ? 0 : collect(n);
        eventCount += out;
        return out;
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
