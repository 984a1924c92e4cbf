package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Linux epoll: epoll_create1, epoll_ctl, epoll_wait and {@code struct epoll_event}.
 *
 * <p>{@code struct epoll_event { uint32_t events; epoll_data_t data; }} is declared
 * {@code __attribute__((packed))} on x86_64 only: 12 bytes with {@code data} at offset 4. On
 * aarch64 (and every other Linux arch) it has natural alignment: 16 bytes, {@code data} at 8.
 */
public final class Epoll {
    private Epoll() {}

    public static final int EPOLLIN = 0x001, EPOLLPRI = 0x002, EPOLLOUT = 0x004, EPOLLERR = 0x008,
            EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000, EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29,
            EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
    public static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public static final int EPOLL_CLOEXEC = 0x80000;

    /** The layout for {@code arch} (normalised name, see {@link Platform#ARCH}). */
    public static StructLayout eventLayout(String arch) {
        if (arch.equals("x86_64")) {
            return MemoryLayout.structLayout(
                    JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data"));
        }
        return MemoryLayout.structLayout(
                JAVA_INT.withName("events"),
                MemoryLayout.paddingLayout(4),
                ValueLayout.JAVA_LONG.withName("data"));
    }

    public static final StructLayout EVENT = eventLayout(Platform.ARCH);
    public static final long EVENT_SIZE = EVENT.byteSize();
    public static final long EVENTS_OFFSET = EVENT.byteOffset(MemoryLayout.PathElement.groupElement("events"));
    public static final long DATA_OFFSET = EVENT.byteOffset(MemoryLayout.PathElement.groupElement("data"));

    private static final boolean LINUX = Platform.CURRENT == Platform.LINUX;

    private static final Fn.IntCI CREATE1 = Bind.fn("epoll_create1", JAVA_INT, JAVA_INT).errno().linkIf(LINUX, Fn.IntCI.class);
    private static final Fn.IntCIIIA CTL = Bind.fn("epoll_ctl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS)
            .errno().critical().linkIf(LINUX, Fn.IntCIIIA.class);
    // epoll_wait with a timeout blocks: it must not be critical (it would stall safepoints/GC).
    // The events pointer travels as a checked long address (Unistd.address), not a MemorySegment:
    // a smaller adapter, which C2 inlines whole into the poller (native-notes/ffm.md).
    // The waits capture no errno: a captureCallState call slices its capture segment, and where
    // C2 does not inline the whole adapter (a blocking wait taken once per park under
    // spin-then-park is too rare to be compiled with the loop) that slice is a 40 B allocation.
    // Every errno epoll_wait can return but EINTR (EBADF, EFAULT, EINVAL) describes the
    // arguments and stays true, so a failed wait is asked again once, at timeout 0, with errno
    // captured: that answers the errno. If it succeeds instead, the failure was EINTR: events it
    // found are returned (under edge triggering they would not be reported again), and when it
    // found none the wait reports EINTR, which the poller counts and waits again after.
    private static final Fn.IntIJII WAIT = Bind.fn("epoll_wait", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .linkIf(LINUX, Fn.IntIJII.class);
    // With timeout 0 it returns at once, so the cheaper critical transition is safe.
    private static final Fn.IntIJII WAIT_NOW = Bind.fn("epoll_wait", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .critical().linkIf(LINUX, Fn.IntIJII.class);
    private static final Fn.IntCIJII WAIT_NOW_ERRNO = Bind.fn("epoll_wait", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT)
            .errno().critical().linkIf(LINUX, Fn.IntCIJII.class);

    /** Whether this OS has epoll. */
    public static boolean available() {
        return LINUX && CREATE1 != null;
    }

    /** epoll_create1(flags): the epoll fd or -errno. */
    public static int create1(MemorySegment cs, int flags) {
        return Bind.ret(cs, CREATE1.call(cs, flags));
    }

    /**
     * epoll_ctl(epfd, op, fd, event): 0 or -errno. {@code scratch} is one reusable
     * {@link #EVENT}-sized segment; it is filled here with {@code events} and {@code data}.
     */
    public static int ctl(MemorySegment cs, int epfd, int op, int fd, int events, long data, MemorySegment scratch) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.CTL, fd);
            if (e != 0) return -e;
        }
        scratch.set(JAVA_INT, EVENTS_OFFSET, events);
        scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, data);
        return Bind.ret(cs, CTL.call(cs, epfd, op, fd, scratch));
    }

    /** epoll_wait: the number of ready events written to {@code events}, or -errno (EINTR too). */
    public static int wait(MemorySegment cs, int epfd, MemorySegment events, int max, int timeoutMillis) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.WAIT, epfd);
            if (e != 0) return -e;
        }
        long addr = Unistd.address(events, 0, max * EVENT_SIZE);
        return waitCall(cs, epfd, addr, max, timeoutMillis);
    }

    private static int waitCall(MemorySegment cs, int epfd, long addr, int max, int timeoutMillis) {
        int r = timeoutMillis == 0
                ? WAIT_NOW.call(epfd, addr, max, 0)
                : WAIT.call(epfd, addr, max, timeoutMillis);
        return r >= 0 ? r : waitAgain(cs, epfd, addr, max);
    }

    /** After a failed wait: the same wait at timeout 0, with errno captured (see WAIT): -errno, or -EINTR, or events. */
    private static int waitAgain(MemorySegment cs, int epfd, long addr, int max) {
        int r = Bind.ret(cs, WAIT_NOW_ERRNO.call(cs, epfd, addr, max, 0));
        return r == 0 ? -Errno.EINTR : r;
    }

    public static int events(MemorySegment events, int i) {
        return events.get(JAVA_INT, i * EVENT_SIZE + EVENTS_OFFSET);
    }

    public static long data(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET);
    }
}
