package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * POSIX poll(2) and {@code struct pollfd}.
 *
 * <p>{@code struct pollfd { int fd; short events; short revents; }} is 8 bytes with the same
 * offsets (0, 4, 6) on every OS this project knows. What differs is {@code nfds_t}: an
 * {@code unsigned long} (8 bytes) in glibc and musl, an {@code unsigned int} (4 bytes) on macOS
 * and FreeBSD, so the call descriptor is chosen per OS. The POLL* bits 0x1..0x20 are the same on
 * Linux, macOS and FreeBSD; POLLRDHUP (0x2000) exists only on Linux.
 */
public final class Poll {
    private Poll() {}

    public static final short POLLIN = 0x001, POLLPRI = 0x002, POLLOUT = 0x004, POLLERR = 0x008,
            POLLHUP = 0x010, POLLNVAL = 0x020;
    /** Linux only: the peer shut down its writing half. 0 where the OS has no such bit. */
    public static final short POLLRDHUP = pollRdHup(Platform.CURRENT);

    public static short pollRdHup(Platform p) {
        return p == Platform.LINUX ? (short) 0x2000 : 0;
    }

    /** {@code sizeof(nfds_t)} on {@code p}. */
    public static int nfdsSize(Platform p) {
        return p == Platform.LINUX ? 8 : 4;
    }

    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    public static final long POLLFD_SIZE = POLLFD.byteSize();
    public static final long FD_OFFSET = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("fd"));
    public static final long EVENTS_OFFSET = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("events"));
    public static final long REVENTS_OFFSET = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("revents"));

    private static final boolean POSIX = Platform.CURRENT != Platform.WINDOWS;
    private static final boolean WIDE_NFDS = nfdsSize(Platform.CURRENT) == 8;

    /** poll with an nfds_t of 8 bytes ({@code wide}) or 4. */
    private static Bind poll(boolean wide) {
        return Bind.fn("poll", JAVA_INT, ADDRESS, wide ? JAVA_LONG : JAVA_INT, JAVA_INT).errno().optional();
    }

    // poll with a timeout blocks: never critical. With timeout 0 it returns at once. nfds_t is a
    // long on Linux and an unsigned int on macOS/FreeBSD: one set of bindings per width, the
    // other left unlinked. The waits capture no errno and take the array as a checked long
    // address, as epoll_wait does (Epoll.WAIT): a capture segment is sliced per call, 40 B where C2
    // does not inline the whole adapter, which made ZeroAllocationTest's poll case fail in full
    // runs. poll fails only with EFAULT, EINVAL, ENOMEM (which stay true) or EINTR, so a failed
    // wait is asked again once at timeout 0 with errno captured: that answers the errno, or, when
    // it succeeds, the failure was EINTR (events found are returned; none reads as EINTR, which
    // the poller counts and waits again after).
    private static final Fn.IntJJI POLL_WIDE = Bind.fn("poll", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT)
            .optional().linkIf(POSIX && WIDE_NFDS, Fn.IntJJI.class);
    private static final Fn.IntJJI POLL_WIDE_NOW = Bind.fn("poll", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT)
            .critical().optional().linkIf(POSIX && WIDE_NFDS, Fn.IntJJI.class);
    private static final Fn.IntCAJI POLL_WIDE_NOW_ERRNO = poll(true).critical().linkIf(POSIX && WIDE_NFDS, Fn.IntCAJI.class);
    private static final Fn.IntJII POLL = Bind.fn("poll", JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .optional().linkIf(POSIX && !WIDE_NFDS, Fn.IntJII.class);
    private static final Fn.IntJII POLL_NOW = Bind.fn("poll", JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .critical().optional().linkIf(POSIX && !WIDE_NFDS, Fn.IntJII.class);
    private static final Fn.IntCAII POLL_NOW_ERRNO = poll(false).critical().linkIf(POSIX && !WIDE_NFDS, Fn.IntCAII.class);

    /** Whether this OS has poll(2) (every POSIX system; Windows has only WSAPoll, not used here). */
    public static boolean available() {
        return POLL_WIDE != null || POLL != null;
    }

    /** poll(fds, nfds, timeout): the number of entries with non-zero revents, 0 on timeout, or -errno. */
    public static int poll(MemorySegment cs, MemorySegment fds, int nfds, int timeoutMillis) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.WAIT, Faults.ANY_FD);
            if (e != 0) return -e;
        }
        long addr = Unistd.address(fds, 0, nfds * POLLFD_SIZE);
        int r;
        if (WIDE_NFDS) {
            r = timeoutMillis == 0 ? POLL_WIDE_NOW.call(addr, nfds, 0) : POLL_WIDE.call(addr, nfds, timeoutMillis);
        } else {
            r = timeoutMillis == 0 ? POLL_NOW.call(addr, nfds, 0) : POLL.call(addr, nfds, timeoutMillis);
        }
        if (r >= 0) return r;
        r = Bind.ret(cs, WIDE_NFDS ? POLL_WIDE_NOW_ERRNO.call(cs, fds, nfds, 0) : POLL_NOW_ERRNO.call(cs, fds, nfds, 0));
        return r == 0 ? -Errno.EINTR : r;
    }

    public static void set(MemorySegment fds, int i, int fd, short events) {
        long base = i * POLLFD_SIZE;
        fds.set(JAVA_INT, base + FD_OFFSET, fd);
        fds.set(JAVA_SHORT, base + EVENTS_OFFSET, events);
        fds.set(JAVA_SHORT, base + REVENTS_OFFSET, (short) 0);
    }

    public static int fd(MemorySegment fds, int i) {
        return fds.get(JAVA_INT, i * POLLFD_SIZE + FD_OFFSET);
    }

    public static short events(MemorySegment fds, int i) {
        return fds.get(JAVA_SHORT, i * POLLFD_SIZE + EVENTS_OFFSET);
    }

    public static void events(MemorySegment fds, int i, short events) {
        fds.set(JAVA_SHORT, i * POLLFD_SIZE + EVENTS_OFFSET, events);
    }

    public static short revents(MemorySegment fds, int i) {
        return fds.get(JAVA_SHORT, i * POLLFD_SIZE + REVENTS_OFFSET);
    }
}
