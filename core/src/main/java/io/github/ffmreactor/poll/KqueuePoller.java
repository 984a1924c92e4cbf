package io.github.ffmreactor.poll;

import static io.github.ffmreactor.sys.Kqueue.*;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Kqueue;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import io.github.ffmreactor.Trigger;

/**
 * macOS / FreeBSD kqueue. Readiness is per filter: READ (and HANGUP) interest is an EVFILT_READ
 * registration, WRITE interest an EVFILT_WRITE one, each carrying the token as udata; one fd may
 * therefore yield two events in a batch. EV_EOF on either filter is reported as HANGUP, and a
 * socket error riding on EV_EOF (fflags) or EV_ERROR as ERROR. EDGE adds EV_CLEAR, ONESHOT
 * EV_ONESHOT (the kernel deletes the filter after it fires; modify re-adds it).
 *
 * <p>Changes are sent with EV_RECEIPT, so each one gets its own result; deleting a filter that a
 * oneshot has already removed (ENOENT) is not an error. Wakeup is an EVFILT_USER event
 * triggered with NOTE_TRIGGER and cleared by EV_CLEAR; both its registration and its trigger carry
 * the reserved {@link BasePoller#WAKE_TOKEN} as udata, by which it is recognised (as epoll's
 * eventfd is) and never reported.
 */
public final class KqueuePoller extends BasePoller {
    private static final Capabilities CAPS = new Capabilities(true, true, Integer.MAX_VALUE);
    private static final int REGISTERED = 1 << 30, ONESHOT_BOTH = 1 << 29;

    private final MemorySegment changes = arena.allocate(Kqueue.EVENT_SIZE * 2, 8);
    private final MemorySegment receipts = arena.allocate(Kqueue.EVENT_SIZE * 2, 8);
    private final MemorySegment wakeChange = arena.allocate(Kqueue.EVENT_SIZE, 8);
    private final MemorySegment timespec = arena.allocate(Kqueue.TIMESPEC_SIZE, 8);
    private final MemorySegment events;
    private final int capacity;
    private final int kq;
    private int[] interestOf = new int[256]; // by fd: REGISTERED | interest [| ONESHOT_BOTH], 0 when not registered
    private boolean anyOneshotBoth;

    public KqueuePoller() throws NativeException {
        this(1024);
    }

    public KqueuePoller(int capacity) throws NativeException {
        super(CAPS);
        if (!Kqueue.available()) throw new UnsupportedOperationException("kqueue is only available on macOS and FreeBSD (on Linux, under"
                + " libkqueue named by -D" + Kqueue.LIBRARY_PROPERTY + ", as a test aid)");
        this.capacity = capacity;
        this.events = arena.allocate(Kqueue.EVENT_SIZE * capacity, 8);
        try {
            int fd = Errno.check("kqueue", Kqueue.kqueue(cs));
            own(() -> Kqueue.closeKqueue(cs, fd));
            kq = fd;
            // kqueue fds are not inherited by fork, but an exec'd child would still see the number.
            Unistd.fcntl(cs, kq, Unistd.F_SETFD, Unistd.FD_CLOEXEC);
            Kqueue.set(changes, 0, 0, EVFILT_USER, (short) (EV_ADD | EV_CLEAR), 0, 0, WAKE_TOKEN);
            Errno.check("kevent(EVFILT_USER, EV_ADD)",
                    Kqueue.kevent(cs, kq, changes, 1, MemorySegment.NULL, 0, MemorySegment.NULL, false));
        } catch (NativeException | RuntimeException e) {
            abandon();
            throw e;
        }
        Kqueue.set(wakeChange, 0, 0, EVFILT_USER, (short) 0, NOTE_TRIGGER, 0, WAKE_TOKEN);
    }

    @Override public String name() { return "kqueue"; }

    private static short triggerFlags(Trigger t) {
        return switch (t) {
            case LEVEL -> 0;
            case EDGE -> EV_CLEAR;
            case ONESHOT -> EV_ONESHOT;
        };
    }

    private int registered(int fd) {
        return fd >= 0 && fd < interestOf.length ? interestOf[fd] : 0;
    }

    @Override
    int registration(int fd) {
        return registered(fd) != 0 ? PRESENT : ABSENT;
    }

    /** Sends the filter changes that take fd from interest {@code had} to {@code want}. */
    private void apply(String call, int fd, int had, int want, Trigger trigger, long token) throws NativeException {
        short add = (short) (EV_ADD | EV_ENABLE | EV_RECEIPT | triggerFlags(trigger));
        short del = (short) (EV_DELETE | EV_RECEIPT);
        int n = 0;
        boolean wantR = (want & (READ | HANGUP)) != 0, hadR = (had & (READ | HANGUP)) != 0;
        boolean wantW = (want & WRITE) != 0, hadW = (had & WRITE) != 0;
        // A oneshot filter may have fired and gone, so wanted filters are always (re-)added.
        if (wantR) Kqueue.set(changes, n++, fd, EVFILT_READ, add, 0, 0, token);
        else if (hadR) Kqueue.set(changes, n++, fd, EVFILT_READ, del, 0, 0, 0);
        if (wantW) Kqueue.set(changes, n++, fd, EVFILT_WRITE, add, 0, 0, token);
        else if (hadW) Kqueue.set(changes, n++, fd, EVFILT_WRITE, del, 0, 0, 0);
        if (n == 0) {
            // Nothing for the kernel to check: make sure the fd exists, as epoll_ctl would.
            Registrations.checkOpen(cs, call, fd);
            return;
        }
        ctlCalls++;
        int r = Kqueue.kevent(cs, kq, changes, n, receipts, n, MemorySegment.NULL, false);
        if (r < 0) throw Errno.exception(call, -r, "fd " + fd);
        for (int i = 0; i < r; i++) {
            int err = (int) Kqueue.data(receipts, i);
            boolean deleting = Kqueue.filter(receipts, i) == EVFILT_READ ? !wantR : !wantW;
            if ((Kqueue.flags(receipts, i) & EV_ERROR) != 0 && err != 0 && !(deleting && err == Errno.ENOENT)) {
                throw Errno.exception(call, err, "fd " + fd);
            }
        }
    }

    @Override
    void add(int fd, int interest, Trigger trigger, long token) throws NativeException {
        apply("kevent(EV_ADD)", fd, 0, interest, trigger, token);
        if (fd >= interestOf.length) interestOf = Arrays.copyOf(interestOf, Math.max(fd + 1, interestOf.length * 2));
        interestOf[fd] = state(interest, trigger);
    }

    @Override
    void change(int fd, int interest, Trigger trigger, long token) throws NativeException {
        apply("kevent(modify)", fd, registered(fd) & ~ONESHOT_BOTH, interest, trigger, token);
        interestOf[fd] = state(interest, trigger);
    }

    private int state(int interest, Trigger trigger) {
        boolean both = (interest & (READ | HANGUP)) != 0 && (interest & WRITE) != 0;
        if (!both || trigger != Trigger.ONESHOT) return REGISTERED | interest;
        anyOneshotBoth = true;
        return REGISTERED | ONESHOT_BOTH | interest;
    }

    @Override
    void remove(int fd) throws NativeException {
        int had = registered(fd) & ~ONESHOT_BOTH;
        interestOf[fd] = 0;
        apply("kevent(EV_DELETE)", fd, had, 0, Trigger.LEVEL, 0);
    }

    @Override
    int waitOnce(int timeoutMillis) {
        MemorySegment ts = MemorySegment.NULL;
        if (timeoutMillis >= 0) {
            Kqueue.timespec(timespec, timeoutMillis);
            ts = timespec;
        }
        return Kqueue.kevent(cs, kq, MemorySegment.NULL, 0, events, capacity, ts, timeoutMillis != 0);
    }

    @Override
    int collect(int n) {
        n = dropWake(events, n, EVENT_SIZE, UDATA); // EV_CLEAR already reset it
        if (anyOneshotBoth) disarmPartners(n);
        return n;
    }

    /**
     * EV_ONESHOT is per filter (kqueue.2: "return only the first occurrence of the filter being
     * triggered"), but ONESHOT is per fd, as EPOLLONESHOT: once one filter of a READ|WRITE oneshot
     * registration fired, delete the other, or it would report the fd again before the re-arm.
     * Its receipt is not checked: ENOENT means it fired in this batch too, and were the delete to
     * fail otherwise, the cost is one early report, which the loop's re-arm absorbs (it is not
     * worth stopping the loop for, as a wait's failure does).
     */
    private void disarmPartners(int n) {
        for (int i = 0; i < n; i++) {
            int fd = (int) Kqueue.ident(events, i);
            if ((registered(fd) & ONESHOT_BOTH) == 0) continue;
            short other = Kqueue.filter(events, i) == EVFILT_READ ? EVFILT_WRITE : EVFILT_READ;
            Kqueue.set(changes, 0, fd, other, (short) (EV_DELETE | EV_RECEIPT), 0, 0, 0);
            ctlCalls++;
            Kqueue.kevent(cs, kq, changes, 1, receipts, 1, MemorySegment.NULL, false);
        }
    }

    @Override String waitCall() { return "kevent"; }

    @Override
    public long token(int i) {
        return Kqueue.udata(events, i);
    }

    @Override
    public int ready(int i) {
        short f = Kqueue.filter(events, i);
        short fl = Kqueue.flags(events, i);
        int b = f == EVFILT_WRITE ? WRITE : READ;
        if ((fl & EV_EOF) != 0) {
            b |= HANGUP;
            if (Kqueue.fflags(events, i) != 0) b |= ERROR;
        }
        if ((fl & EV_ERROR) != 0) b |= ERROR;
        return b;
    }

    @Override
    public int error(int i) {
        short fl = Kqueue.flags(events, i);
        if ((fl & EV_ERROR) != 0) return (int) Kqueue.data(events, i);
        return (fl & EV_EOF) != 0 ? Kqueue.fflags(events, i) : 0;
    }

    @Override
    void signalWakeup() {
        Kqueue.kevent(Native.threadCallState(), kq, wakeChange, 1, MemorySegment.NULL, 0, MemorySegment.NULL, false);
    }
}
