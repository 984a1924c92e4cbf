package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

/**
 * What every backend shares and none should get wrong on its own: the counters, the closed state,
 * a wakeup that is safe from any thread and a no-op after close (so it never signals an fd number
 * the kernel has recycled), a close that releases the kernel object exactly once, and the wait:
 * the EINTR retry and its counting around one small {@link #waitOnce} per backend. Each backend
 * file keeps only the translation to its own syscalls.
 *
 * <p>It also owns the public register/modify/deregister: the checks every backend needs (closed
 * poller, interest bits, trigger and fd against the {@link Capabilities}, EEXIST/ENOENT for the
 * backends that keep their registrations in Java) are made once here, then a small hook per
 * backend does the rest. And it owns what a backend makes: the arena, and a stack of the kernel
 * objects opened so far ({@link #ownFd}, {@link #own}), so a constructor that fails midway
 * ({@link #abandon}) and {@link #close()} release exactly what was made, newest first.
 */
abstract sealed class BasePoller implements Poller
        permits EpollPoller, KqueuePoller, TablePoller {
    /** The token of the wakeup's own event (epoll, kqueue); refused as a user token on every backend. */
    static final long WAKE_TOKEN = Long.MIN_VALUE;

    /** Interest bits a registration may ask for. */
    private static final int INTEREST_BITS = READ | WRITE | HANGUP;

    /** Native memory that lives as long as the poller. */
    final Arena arena = Arena.ofShared();
    /** The owning thread's errno capture segment. */
    final MemorySegment cs = Native.callState(arena);
    /** What the constructor made, released newest first. */
    private final ArrayDeque<Runnable> made = new ArrayDeque<>();
    private final Capabilities caps;
    /** Set once, under the monitor, by {@link #close()}; read by the owning thread. */
    boolean closed;
    long waits, eventCount, interrupted, ctlCalls;
    private volatile long wakeupsSent;

    BasePoller(Capabilities caps) {
        this.caps = caps;
    }

    @Override
    public final Capabilities capabilities() {
        return caps;
    }

    /** Takes ownership of an fd the constructor opened: closed on {@link #abandon} and {@link #close}. */
    final int ownFd(int fd) {
        made.push(() -> Unistd.close(cs, fd));
        return fd;
    }

    /** Takes ownership of any other resource (a pipe pair, a socket, a second arena). */
    final void own(Runnable release) {
        made.push(release);
    }

    /**
     * For a constructor that failed midway: releases what it made so far and the arena. Call it
     * from the constructor's catch, then rethrow.
     */
    final void abandon() {
        closed = true;
        releaseAll();
    }

    private void releaseAll() {
        while (!made.isEmpty()) made.pop().run();
        arena.close();
    }

    // ---- registration: the shared checks, then one hook per backend ----

    /** Registration bookkeeping, for the checks the kernel does not make itself. */
    static final int UNKNOWN = -1, ABSENT = 0, PRESENT = 1;

    /**
     * Whether {@code fd} is registered: {@link #PRESENT} or {@link #ABSENT} for a backend that
     * keeps its registrations in Java (EEXIST and ENOENT are then given here, as epoll_ctl would),
     * {@link #UNKNOWN} for one whose kernel call reports them (epoll).
     */
    abstract int registration(int fd);

    /** The wakeup's own fd, which a user may not register, or -1. */
    int wakeFd() {
        return -1;
    }

    /** Adds a registration; the fd is known new (or the kernel checks it). */
    abstract void add(int fd, int interest, Trigger trigger, long token) throws NativeException;

    /** Changes a registration; the fd is known registered (or the kernel checks it). */
    abstract void change(int fd, int interest, Trigger trigger, long token) throws NativeException;

    /** Removes a registration; the fd is known registered (or the kernel checks it). */
    abstract void remove(int fd) throws NativeException;

    @Override
    public final void register(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkChange(fd, interest, trigger, token);
        if (registration(fd) == PRESENT || (fd == wakeFd() && fd >= 0)) {
            throw Errno.exception(name() + " register", Errno.EEXIST, "fd " + fd + " is already registered");
        }
        add(fd, interest, trigger, token);
    }

    @Override
    public final void modify(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkChange(fd, interest, trigger, token);
        checkRegistered("modify", fd);
        change(fd, interest, trigger, token);
    }

    @Override
    public final void deregister(int fd) throws NativeException {
        checkOpenPoller();
        checkRange(fd);
        checkRegistered("deregister", fd);
        remove(fd);
    }

    private void checkChange(int fd, int interest, Trigger trigger, long token) {
        checkOpenPoller();
        if ((interest & ~INTEREST_BITS) != 0) {
            throw new IllegalArgumentException("interest " + interest + " has bits other than READ, WRITE and HANGUP");
        }
        if (!caps.supports(trigger)) {
            throw new IllegalArgumentException("backend " + name() + " does not support " + trigger
                    + " triggering (it is level-triggered only; epoll and kqueue have edge and oneshot)");
        }
        checkRange(fd);
        if (token == WAKE_TOKEN) throw new IllegalArgumentException("token " + token + " is reserved");
    }

    private void checkRange(int fd) {
        if (fd > caps.maxFd()) {
            throw new IllegalArgumentException(name() + ": fd " + fd + " is above " + caps.maxFd()
                    + ", the largest this backend can watch (FD_SETSIZE (" + (caps.maxFd() + 1L)
                    + ") for select; use poll, epoll or kqueue)");
        }
    }

    private void checkRegistered(String op, int fd) throws NativeException {
        if (registration(fd) == ABSENT || (fd == wakeFd() && fd >= 0)) {
            throw Errno.exception(name() + " " + op, Errno.ENOENT, "fd " + fd + " is not registered");
        }
    }

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

    /**
     * For the backends whose kernel fills a native events array (epoll, kqueue): finds the wakeup's
     * event among the {@code n} (the one whose token, a long at {@code tokenOffset} of each
     * {@code stride}-byte event, is {@link #WAKE_TOKEN}), moves the last event into its place, and
     * returns the new count ({@code n} when there was none). A static loop over memory: no
     * virtual call and no allocation per event.
     */
    static int dropWake(MemorySegment events, int n, long stride, long tokenOffset) {
        for (int i = 0; i < n; i++) {
            if (events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * stride + tokenOffset) == WAKE_TOKEN) {
                n--;
                if (i != n) MemorySegment.copy(events, n * stride, events, i * stride, stride);
                return n;
            }
        }
        return n;
    }

    /** Sends the backend's wakeup signal (eventfd write, EVFILT_USER trigger, a pipe byte...). */
    abstract void signalWakeup();

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
        releaseAll();
    }
}
