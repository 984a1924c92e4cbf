package io.github.ffmreactor.poll;

import static io.github.ffmreactor.sys.Poll.*;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Poll;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * POSIX poll(2) over one reusable {@code struct pollfd} array. Entry 0 is the wakeup pipe; user
 * fds follow, densely packed in the order of the poller's {@link FdTable} (deregistering moves the
 * last entry into the hole), which finds an fd's entry, so register/modify/deregister are O(1);
 * each wait is O(registered).
 *
 * <p>Level-triggered only: edge and oneshot are refused at registration (emulating them would
 * need per-fd state the kernel does not keep for poll, and would silently differ from epoll).
 * HANGUP interest asks for POLLRDHUP on Linux; elsewhere the peer's FIN shows as POLLIN and a
 * read returning 0. POLLHUP, POLLERR and POLLNVAL are reported whatever the interest.
 */
public final class PollPoller extends TablePoller {
    private static final Capabilities CAPS = new Capabilities(false, false, Integer.MAX_VALUE);

    private final WakePipe wake;
    private Arena fdsArena;
    private MemorySegment fds;               // pollfd entry 0 is the wakeup pipe, table entry i is pollfd i + 1

    public PollPoller() throws NativeException {
        this(64);
    }

    public PollPoller(int initialCapacity) throws NativeException {
        super(CAPS, new FdTable(initialCapacity, true));
        if (!Poll.available()) throw new UnsupportedOperationException("poll(2) is not available on this OS");
        try {
            wake = WakePipe.open(this);
            fdsArena = Arena.ofShared();
            own(() -> fdsArena.close());
            fds = fdsArena.allocate(POLLFD_SIZE * (table.capacity() + 1L), 8);
            Poll.set(fds, 0, wake.readFd, POLLIN);
        } catch (NativeException | RuntimeException e) {
            abandon();
            throw e;
        }
    }

    @Override public String name() { return "poll"; }

    static short toPoll(int interest) {
        int e = 0;
        if ((interest & READ) != 0) e |= POLLIN;
        if ((interest & WRITE) != 0) e |= POLLOUT;
        if ((interest & HANGUP) != 0) e |= POLLRDHUP;
        return (short) e;
    }

    static int fromPoll(int r) {
        int b = 0;
        if ((r & POLLIN) != 0) b |= READ;
        if ((r & POLLOUT) != 0) b |= WRITE;
        if ((r & (POLLHUP | POLLRDHUP)) != 0) b |= HANGUP;
        if ((r & (POLLERR | POLLNVAL)) != 0) b |= ERROR;
        return b;
    }

    @Override int wakeFd() { return wake.readFd; }

    @Override
    void added(int i, int fd, int interest) {
        if (fds.byteSize() < POLLFD_SIZE * (table.capacity() + 1L)) growFds();
        Poll.set(fds, i + 1, fd, toPoll(interest));
    }

    @Override
    void changed(int i, int fd, int interest) {
        Poll.events(fds, i + 1, toPoll(interest));
    }

    @Override
    void removed(int i, int moved, int fd) {
        if (moved >= 0) Poll.set(fds, i + 1, Poll.fd(fds, moved + 1), Poll.events(fds, moved + 1));
    }

    /** The table grew: a pollfd array to match, the entries in use (wakeup pipe included) copied over. */
    private void growFds() {
        Arena a = Arena.ofShared();
        MemorySegment n = a.allocate(POLLFD_SIZE * (table.capacity() + 1L), 8);
        MemorySegment.copy(fds, 0, n, 0, POLLFD_SIZE * (long) table.count()); // the new entry is not in yet
        fdsArena.close();
        fdsArena = a;
        fds = n;
    }

    @Override
    int waitOnce(int timeoutMillis) {
        return Poll.poll(cs, fds, table.count() + 1, timeoutMillis);
    }

    @Override
    int collect(int n) {
        table.clearReady();
        int seen = 0;
        if (Poll.revents(fds, 0) != 0) {
            wake.drain(cs);
            seen++;
        }
        for (int i = 0, count = table.count(); i < count && seen < n; i++) {
            short r = Poll.revents(fds, i + 1);
            if (r == 0) continue;
            seen++;
            table.ready(i, fromPoll(r));
        }
        return table.readyCount();
    }

    @Override String waitCall() { return "poll"; }

    @Override
    void signalWakeup() {
        wake.signal();
    }
}
