package io.github.ffmreactor.poll;

import static io.github.ffmreactor.sys.Poll.*;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Poll;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import io.github.ffmreactor.Trigger;

/**
 * POSIX poll(2) over one reusable {@code struct pollfd} array. Entry 0 is the wakeup pipe; user
 * fds follow, densely packed (deregistering moves the last entry into the hole). An fd-indexed
 * table finds an fd's entry, so register/modify/deregister are O(1); each wait is O(registered).
 *
 * <p>Level-triggered only: edge and oneshot are refused at registration (emulating them would
 * need per-fd state the kernel does not keep for poll, and would silently differ from epoll).
 * HANGUP interest asks for POLLRDHUP on Linux; elsewhere the peer's FIN shows as POLLIN and a
 * read returning 0. POLLHUP, POLLERR and POLLNVAL are reported whatever the interest.
 */
public final class PollPoller extends BasePoller {
    private static final Capabilities CAPS = new Capabilities(false, false, Integer.MAX_VALUE);

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Native.callState(arena);
    private final WakePipe wake;
    private Arena fdsArena = Arena.ofShared();
    private MemorySegment fds;
    private int count;                       // entries in use, wakeup pipe included
    private long[] tokens;                   // by entry
    private int[] entryOf = new int[256];    // by fd: entry index + 1, 0 when not registered
    private long[] readyTokens;
    private int[] readyBits;

    public PollPoller() throws NativeException {
        this(64);
    }

    public PollPoller(int initialCapacity) throws NativeException {
        if (!Poll.available()) throw new UnsupportedOperationException("poll(2) is not available on this OS");
        int cap = Math.max(2, initialCapacity);
        try {
            wake = new WakePipe(arena, cs);
        } catch (NativeException | RuntimeException e) {
            arena.close();
            fdsArena.close();
            throw e;
        }
        fds = fdsArena.allocate(POLLFD_SIZE * cap, 8);
        tokens = new long[cap];
        readyTokens = new long[cap];
        readyBits = new int[cap];
        Poll.set(fds, 0, wake.readFd, POLLIN);
        count = 1;
    }

    @Override public String name() { return "poll"; }

    @Override public Capabilities capabilities() { return CAPS; }

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

    private int entry(int fd) {
        return fd >= 0 && fd < entryOf.length ? entryOf[fd] - 1 : -1;
    }

    @Override
    public void register(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkOpenPoller();
        Registrations.checkTrigger(name(), CAPS, trigger);
        Registrations.checkOpen(cs, "poll register", fd);
        if (entry(fd) >= 0 || fd == wake.readFd) throw Registrations.exists("poll register", fd);
        ctlCalls++;
        if (count == tokens.length) grow();
        if (fd >= entryOf.length) entryOf = Arrays.copyOf(entryOf, Math.max(fd + 1, entryOf.length * 2));
        Poll.set(fds, count, fd, toPoll(interest));
        tokens[count] = token;
        entryOf[fd] = count + 1;
        count++;
    }

    @Override
    public void modify(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkOpenPoller();
        Registrations.checkTrigger(name(), CAPS, trigger);
        int i = entry(fd);
        if (i < 0) throw Registrations.notRegistered("poll modify", fd);
        ctlCalls++;
        Poll.events(fds, i, toPoll(interest));
        tokens[i] = token;
    }

    @Override
    public void deregister(int fd) throws NativeException {
        checkOpenPoller();
        int i = entry(fd);
        if (i < 0) throw Registrations.notRegistered("poll deregister", fd);
        ctlCalls++;
        int last = count - 1;
        if (i != last) {
            int lastFd = Poll.fd(fds, last);
            Poll.set(fds, i, lastFd, Poll.events(fds, last));
            tokens[i] = tokens[last];
            entryOf[lastFd] = i + 1;
        }
        entryOf[fd] = 0;
        count = last;
    }

    private void grow() {
        int cap = tokens.length * 2;
        Arena a = Arena.ofShared();
        MemorySegment n = a.allocate(POLLFD_SIZE * cap, 8);
        MemorySegment.copy(fds, 0, n, 0, POLLFD_SIZE * count);
        fdsArena.close();
        fdsArena = a;
        fds = n;
        tokens = Arrays.copyOf(tokens, cap);
        readyTokens = new long[cap];
        readyBits = new int[cap];
    }

    @Override
    int waitOnce(int timeoutMillis) {
        return Poll.poll(cs, fds, count, timeoutMillis);
    }

    @Override
    int collect(int n) {
        int out = 0;
        for (int i = 0, seen = 0; i < count && seen < n; i++) {
            short r = Poll.revents(fds, i);
            if (r == 0) continue;
            seen++;
            if (i == 0) {
                wake.drain(cs);
                continue;
            }
            readyTokens[out] = tokens[i];
            readyBits[out] = fromPoll(r);
            out++;
        }
        return out;
    }

    @Override String waitCall() { return "poll"; }

    @Override public long token(int i) { return readyTokens[i]; }

    @Override public int ready(int i) { return readyBits[i]; }

    @Override
    void signalWakeup() {
        wake.signal();
    }

    @Override
    void release() {
        wake.close(cs);
        fdsArena.close();
        arena.close();
    }
}
