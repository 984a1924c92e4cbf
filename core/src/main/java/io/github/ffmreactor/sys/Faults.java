package io.github.ffmreactor.sys;

import java.util.Arrays;
/**
 * A test-only seam that makes chosen syscalls fail on purpose, so that error paths no hostile peer
 * can reach (EMFILE on accept, ENOMEM from epoll_ctl, EBADF from epoll_wait...) run in tests.
 *
 * <p>Off unless the JVM starts with {@code -Dffmreactor.faults=true}. {@link #ENABLED} is a
 * static final, so when it is off the JIT removes every check: the hot path costs nothing. When on
 * but unarmed, a check is one volatile read. Rules are armed from a test thread and consumed on
 * the loop thread; each names a call, optionally an fd, how many matching calls to let through
 * first, and then what the next matching calls do (fail with an errno, or move at most N bytes).
 */
public final class Faults {
    private Faults() {}

    /** Whether the seam exists in this JVM ({@code -Dffmreactor.faults=true}). */
    public static final boolean ENABLED = Boolean.getBoolean("ffmreactor.faults");

    /** The calls that can be made to fail. */
    public enum Call {
        /** accept4 / accept; io_uring: a multishot accept the engine arms (at listen, after a pause). */
        ACCEPT,
        /**
         * read(2) / recv on a stream fd; io_uring: a receive the engine arms (at open, and again
         * after a multishot receive ended), which then completes with the errno.
         */
        READ,
        /** write(2) / send on a stream fd; io_uring: a SEND or SENDMSG the engine submits (failed, or made short). */
        WRITE,
        /** writev(2): a connection's gathered write (several queued pieces); made short, the first piece only. */
        WRITEV,
        /** connect(2); io_uring: an IORING_OP_CONNECT, which then completes with the errno. */
        CONNECT,
        /** A registration change: epoll_ctl, or kevent with changes and no events. */
        CTL,
        /** The poller's wait: epoll_wait, kevent, poll, select, io_uring_enter. */
        WAIT,
        /** recvmmsg(2) (Linux datagram batches). */
        RECVMMSG,
        /** sendmmsg(2) (Linux datagram batches). */
        SENDMMSG,
        /** setsockopt(2) (socket options set when a socket opens: SO_RCVBUF, SO_RXQ_OVFL...). */
        SETSOCKOPT,
        /** listen(2) (after a successful bind: what is left behind when it fails). */
        LISTEN,
        /** io_uring_setup (fd ANY_FD): a kernel or sandbox that refuses io_uring. */
        RING_SETUP,
        /** mmap of memory the io_uring engine lends to connections (a chunk slab; fd ANY_FD). */
        MMAP
    }

    /** Any fd. */
    public static final int ANY_FD = -1;

    private static final class Rule {
        final int fd;
        int skip;
        int times;
        final int errno;     // > 0: fail with it
        final long maxBytes; // errno == 0: transfer at most this many bytes

        Rule(int fd, int skip, int times, int errno, long maxBytes) {
            this.fd = fd;
            this.skip = skip;
            this.times = times;
            this.errno = errno;
            this.maxBytes = maxBytes;
        }
    }

    private static final Rule[] RULES = new Rule[Call.values().length];
    private static final int[] FIRED = new int[Call.values().length];
    private static volatile boolean armed;

    // Call indexes the two arrays: a syscall's check (when armed) reads a slot, with no map lookup
    // and no boxed count. The arrays follow the enum, so the ordinal is the index on purpose.
    @SuppressWarnings("EnumOrdinal")
    private static int index(Call call) {
        return call.ordinal();
    }

    /**
     * After {@code after} matching calls of {@code call} on {@code fd} ({@link #ANY_FD}: any), the
     * next {@code times} matching calls fail with {@code errno} without reaching the kernel
     * ({@code Integer.MAX_VALUE}: until {@link #clear()}). Replaces an earlier rule for the call.
     */
    public static synchronized void fail(Call call, int fd, int after, int errno, int times) {
        if (errno <= 0) throw new IllegalArgumentException("errno must be positive: " + errno);
        arm(call, new Rule(fd, after, times, errno, 0));
    }

    /**
     * After {@code after} matching calls, the next {@code times} reads or writes move at most
     * {@code maxBytes} bytes: the kernel really transfers that many, as a short read or write does.
     */
    public static synchronized void limit(Call call, int fd, int after, long maxBytes, int times) {
        if (call != Call.READ && call != Call.WRITE && call != Call.WRITEV) {
            throw new IllegalArgumentException("only READ, WRITE and WRITEV move bytes: " + call);
        }
        if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        arm(call, new Rule(fd, after, times, 0, maxBytes));
    }

    private static void arm(Call call, Rule r) {
        if (!ENABLED) throw new IllegalStateException("fault injection is off: start the JVM with -Dffmreactor.faults=true");
        if (r.skip < 0 || r.times < 1) throw new IllegalArgumentException("need after >= 0 and times >= 1");
        RULES[index(call)] = r;
        armed = true;
    }

    /** Removes every rule and resets the counts. */
    public static synchronized void clear() {
        Arrays.fill(RULES, null);
        Arrays.fill(FIRED, 0);
        armed = false;
    }

    /** How many calls of {@code call} a rule has changed since the last {@link #clear()}. */
    public static synchronized int fired(Call call) {
        return FIRED[index(call)];
    }

    /**
     * The check each binding makes before its syscall (only when {@link #ENABLED}): returns
     * {@code len} to go ahead unchanged, a smaller non-negative count to move fewer bytes, or
     * {@code -errno} to fail without calling the kernel.
     */
    static long check(Call call, int fd, long len) {
        if (!armed) return len;
        return consume(call, fd, len);
    }

    /**
     * For a request an io_uring engine is about to submit instead of a syscall (call only when
     * {@link #ENABLED}): {@code len} to go ahead, a smaller non-negative count to move fewer bytes
     * (a SEND the kernel really makes short), or {@code -errno}: the request must not reach the
     * kernel and its completion must carry that errno. Rules match as for the syscall: READ for a
     * receive the engine arms, ACCEPT for an accept it arms, WRITE for a send, CONNECT for a connect.
     */
    public static long request(Call call, int fd, long len) {
        return check(call, fd, len);
    }

    /** Whether any rule may be armed: one volatile read (Bind's handles test it before anything else). */
    static boolean armed() {
        return armed;
    }

    /** For calls that move no bytes: 0 to go ahead, or the errno to fail with. */
    static int injected(Call call, int fd) {
        long r = check(call, fd, 0);
        return r < 0 ? (int) -r : 0;
    }

    private static synchronized long consume(Call call, int fd, long len) {
        Rule r = RULES[index(call)];
        if (r == null || (r.fd != ANY_FD && r.fd != fd)) return len;
        if (r.skip > 0) {
            r.skip--;
            return len;
        }
        if (--r.times == 0) RULES[index(call)] = null;
        FIRED[index(call)]++;
        return r.errno > 0 ? -r.errno : Math.min(len, r.maxBytes);
    }
}
