package io.github.ffmreactor.sys;

import static io.github.ffmreactor.sys.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance, the ring: the mapped SQ and CQ rings and SQE array, SQE preparation,
 * submit and wait, CQE iteration. Built on {@link IoUring}, the ABI (syscalls, UAPI layouts and
 * constants). Nothing on the submit/complete path allocates.
 *
 * <p>Confined: one platform thread opens it and makes every later call (the ring is set up
 * SINGLE_ISSUER|DEFER_TASKRUN where the kernel accepts it; a second thread's io_uring_enter then
 * fails with EEXIST, and completions are only posted inside io_uring_enter with GETEVENTS, see
 * {@link #submitAndWait}). Not for virtual threads (they change kernel task).
 *
 * <p>Memory ordering (native-notes/io_uring.md): the SQ tail is published with a store-release
 * after the SQEs are written; the kernel's SQ head is read with a load-acquire; the CQ tail is read
 * with a load-acquire before the CQEs are read; the CQ head is published with a store-release
 * after they have been read.
 */
public final class Uring implements AutoCloseable {
    private static final VarHandle INT = JAVA_INT.varHandle();

    /** The setup flags tried in order; each next one drops what an older kernel rejects with EINVAL. */
    static final int[] SETUP_STEPS = {
        SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN | SETUP_COOP_TASKRUN | SETUP_SUBMIT_ALL, // 6.1
        SETUP_SINGLE_ISSUER | SETUP_COOP_TASKRUN | SETUP_SUBMIT_ALL, // 6.0
        SETUP_COOP_TASKRUN | SETUP_SUBMIT_ALL, // 5.19
        SETUP_SUBMIT_ALL, // 5.18
        0
    };
    private static final String[] STEP_NAMES = {
        "SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|SUBMIT_ALL", "SINGLE_ISSUER|COOP_TASKRUN|SUBMIT_ALL",
        "COOP_TASKRUN|SUBMIT_ALL", "SUBMIT_ALL", "no flags"
    };
    private static final boolean[] FALLBACK_LOGGED = new boolean[SETUP_STEPS.length];

    public final int fd;
    /** The setup flags the kernel accepted. */
    public final int setupFlags;
    /** io_uring_params.features. */
    public final int features;
    public final int sqEntries, cqEntries;

    private final Arena arena;
    private final MemorySegment cs;
    private final MemorySegment sqRing, cqRing, sqes;
    private final long sqRingLen, cqRingLen, sqesLen;
    private final long sqHeadOff, sqTailOff, cqHeadOff, cqTailOff, cqesOff;
    private final int sqMask, cqMask;
    private final MemorySegment eventsArg, timespec;
    private final long eventsArgAddr;
    private final boolean[] supported;
    private int sqTail; // SQEs handed out, published or not
    private int cqHead;
    private boolean closed;

    private Uring(int fd, int setupFlags, MemorySegment params, Arena arena, MemorySegment cs) throws NativeException {
        this.fd = fd;
        this.setupFlags = setupFlags;
        this.arena = arena;
        this.cs = cs;
        features = params.get(JAVA_INT, P_FEATURES);
        sqEntries = params.get(JAVA_INT, P_SQ_ENTRIES);
        cqEntries = params.get(JAVA_INT, P_CQ_ENTRIES);
        long sq = P_SQ_OFF, cq = P_CQ_OFF;
        sqHeadOff = params.get(JAVA_INT, sq + off(SQRING_OFFSETS, "head"));
        sqTailOff = params.get(JAVA_INT, sq + off(SQRING_OFFSETS, "tail"));
        long sqArray = params.get(JAVA_INT, sq + off(SQRING_OFFSETS, "array"));
        cqHeadOff = params.get(JAVA_INT, cq + off(CQRING_OFFSETS, "head"));
        cqTailOff = params.get(JAVA_INT, cq + off(CQRING_OFFSETS, "tail"));
        cqesOff = params.get(JAVA_INT, cq + off(CQRING_OFFSETS, "cqes"));
        long sqLen = sqArray + 4L * sqEntries, cqLen = cqesOff + CQE_SIZE * cqEntries;
        boolean single = (features & FEAT_SINGLE_MMAP) != 0;
        sqRingLen = single ? Math.max(sqLen, cqLen) : sqLen;
        cqRingLen = single ? 0 : cqLen;
        sqesLen = SQE_SIZE * sqEntries;
        MemorySegment sqr = null, cqr = null, sqe = null;
        try {
            sqr = map(sqRingLen, OFF_SQ_RING);
            cqr = single ? sqr : map(cqRingLen, OFF_CQ_RING);
            sqe = map(sqesLen, OFF_SQES);
        } catch (NativeException e) {
            if (sqr != null) IoUring.munmap(cs, sqr.address(), sqRingLen);
            if (cqr != null && !single) IoUring.munmap(cs, cqr.address(), cqRingLen);
            throw e;
        }
        sqRing = sqr;
        cqRing = cqr;
        sqes = sqe;
        sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, sq + off(SQRING_OFFSETS, "ring_mask")));
        cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, cq + off(CQRING_OFFSETS, "ring_mask")));
        // The SQ array maps ring slots to SQE indexes; identity, written once.
        for (int i = 0; i < sqEntries; i++) sqRing.set(JAVA_INT, sqArray + 4L * i, i);
        sqTail = (int) INT.getAcquire(sqRing, sqTailOff);
        cqHead = (int) INT.getAcquire(cqRing, cqHeadOff);
        eventsArg = arena.allocate(GETEVENTS_ARG);
        timespec = arena.allocate(TIMESPEC);
        eventsArg.set(JAVA_LONG, off(GETEVENTS_ARG, "ts"), timespec.address());
        eventsArgAddr = eventsArg.address();
        supported = probe();
    }

    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    private MemorySegment map(long len, long offset) throws NativeException {
        long a = IoUring.mmap(cs, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (a < 0) throw Errno.exception("mmap", (int) -a, "io_uring ring at offset 0x" + Long.toHexString(offset)
                + ", " + len + " bytes" + (a == -Errno.ENOMEM ? ": " + IoUring.setupCause(Errno.ENOMEM) : ""));
        return MemorySegment.ofAddress(a).reinterpret(len);
    }

    /**
     * Opens a ring of {@code entries} SQEs (a power of two; the CQ gets twice as many) with the
     * richest setup flags the kernel accepts: each EINVAL drops the newest flag and is logged once
     * per process. Must be called on the thread that will use the ring.
     *
     * @throws NativeException naming the call, the errno and its likely cause (ENOSYS, EPERM, ENOMEM)
     */
    public static Uring open(int entries) throws NativeException {
        if (entries < 1 || entries > 32768 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("io_uring entries must be a power of two in [1, 32768]: " + entries);
        }
        if (!LINKABLE) throw Errno.exception("io_uring_setup", Errno.ENOSYS, IoUring.setupCause(Errno.ENOSYS));
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.RING_SETUP, Faults.ANY_FD);
            if (e != 0) throw Errno.exception("io_uring_setup", e, IoUring.setupCause(e));
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment cs = Native.callState(arena);
            MemorySegment params = arena.allocate(PARAMS);
            for (int step = 0; ; step++) {
                params.fill((byte) 0);
                params.set(JAVA_INT, P_FLAGS, SETUP_STEPS[step]);
                int r = IoUring.setup(cs, entries, params);
                if (r >= 0) {
                    try {
                        return new Uring(r, SETUP_STEPS[step], params, arena, cs);
                    } catch (NativeException | RuntimeException e) {
                        Unistd.close(cs, r);
                        throw e;
                    }
                }
                if (r != -Errno.EINVAL || step == SETUP_STEPS.length - 1) {
                    throw Errno.exception("io_uring_setup", -r, "entries " + entries + ", flags "
                            + STEP_NAMES[step] + ": " + IoUring.setupCause(-r));
                }
                logFallback(step);
            }
        } catch (NativeException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static synchronized void logFallback(int step) {
        if (FALLBACK_LOGGED[step]) return;
        FALLBACK_LOGGED[step] = true;
        System.err.println("ffmreactor: io_uring_setup rejected " + STEP_NAMES[step]
                + " with EINVAL (a kernel older than that flag); trying " + STEP_NAMES[step + 1]);
    }

    private static volatile String unavailable; // "" when available, null before the first check

    /** Whether io_uring can be used by this process (tried once, with a two-entry ring). */
    public static boolean available() {
        return unavailableReason() == null;
    }

    /** Why io_uring cannot be used here, or null when it can. Tried once per process. */
    public static String unavailableReason() {
        if (!IoUring.LINKABLE) return "io_uring needs Linux on x86_64 or aarch64";
        String u = unavailable;
        if (u == null) {
            synchronized (Uring.class) {
                u = unavailable;
                if (u == null) {
                    try (Uring r = open(2)) {
                        u = (r.features & FEAT_EXT_ARG) == 0
                                ? "the kernel lacks IORING_FEAT_EXT_ARG (waits with a timeout; 5.11)" : "";
                    } catch (NativeException e) {
                        u = e.getMessage();
                    }
                    unavailable = u;
                }
            }
        }
        return u.isEmpty() ? null : u;
    }

    // ---------------------------------------------------------------- probe

    private boolean[] probe() {
        int n = 256;
        MemorySegment p = arena.allocate(PROBE.byteSize() + n * PROBE_OP.byteSize(), 8);
        boolean[] ok = new boolean[n];
        int r = IoUring.register(cs, fd, REGISTER_PROBE, p.address(), n);
        if (r < 0) return ok; // before 5.6: nothing known
        int len = Byte.toUnsignedInt(p.get(JAVA_BYTE, off(PROBE, "ops_len")));
        for (int i = 0; i < len; i++) {
            long o = PROBE.byteSize() + i * PROBE_OP.byteSize();
            int op = Byte.toUnsignedInt(p.get(JAVA_BYTE, o));
            if ((p.get(JAVA_SHORT, o + off(PROBE_OP, "flags")) & OP_SUPPORTED) != 0) ok[op] = true;
        }
        return ok;
    }

    /** Whether IORING_REGISTER_PROBE says the kernel supports {@code opcode} (false when the probe failed). */
    public boolean supports(int opcode) {
        return opcode >= 0 && opcode < supported.length && supported[opcode];
    }

    // ---------------------------------------------------------------- submission

    /**
     * Hands out the next SQE, zeroed, and returns its byte offset in {@link #sqes()}, or -1 when
     * every SQ slot holds an SQE the kernel has not consumed yet (submit, then ask again).
     */
    public long sqe() {
        int head = (int) INT.getAcquire(sqRing, sqHeadOff);
        if (sqTail - head >= sqEntries) return -1;
        long o = (long) (sqTail & sqMask) * SQE_SIZE;
        sqTail++;
        for (long i = 0; i < SQE_SIZE; i += 8) sqes.set(JAVA_LONG, o + i, 0L);
        return o;
    }

    /** The mapped SQE array, for fields the prep helpers do not set. */
    public MemorySegment sqes() {
        return sqes;
    }

    /**
     * Prepares one SQE with the common fields; false when the SQ is full. {@code off} is also addr2,
     * {@code opFlags} the op's flags word (msg_flags, accept_flags, cancel_flags...), {@code bufGroup}
     * buf_index/buf_group.
     */
    public boolean prep(byte opcode, int sqeFlags, int ioprio, int fd, long addr, int len, long off, int opFlags,
            int bufGroup, long userData) {
        long o = sqe();
        if (o < 0) return false;
        MemorySegment s = sqes;
        s.set(JAVA_BYTE, o + SQE_OPCODE, opcode);
        s.set(JAVA_BYTE, o + SQE_FLAGS, (byte) sqeFlags);
        s.set(JAVA_SHORT, o + SQE_IOPRIO, (short) ioprio);
        s.set(JAVA_INT, o + SQE_FD, fd);
        s.set(JAVA_LONG, o + SQE_OFF, off);
        s.set(JAVA_LONG, o + SQE_ADDR, addr);
        s.set(JAVA_INT, o + SQE_LEN, len);
        s.set(JAVA_INT, o + SQE_OP_FLAGS, opFlags);
        s.set(JAVA_LONG, o + SQE_USER_DATA, userData);
        s.set(JAVA_SHORT, o + SQE_BUF_INDEX, (short) bufGroup);
        return true;
    }

    public boolean prepNop(long userData) {
        return prep(OP_NOP, 0, 0, -1, 0, 0, 0, 0, 0, userData);
    }

    /** accept (multishot: one CQE per connection, F_MORE while armed; 5.19). {@code flags}: SOCK_NONBLOCK, SOCK_CLOEXEC. */
    public boolean prepAccept(int listenFd, boolean multishot, int flags, long userData) {
        return prep(OP_ACCEPT, 0, multishot ? ACCEPT_MULTISHOT : 0, listenFd, 0, 0, 0, flags, 0, userData);
    }

    /** Multishot recv from the provided buffer ring {@code bufGroup} (6.0): one CQE per buffer filled. */
    public boolean prepRecvMultishot(int fd, int bufGroup, int msgFlags, long userData) {
        return prep(OP_RECV, IOSQE_BUFFER_SELECT, RECV_MULTISHOT, fd, 0, 0, 0, msgFlags, bufGroup, userData);
    }

    /**
     * Single-shot recv of at most {@code len} bytes into one buffer picked from the provided buffer
     * ring {@code bufGroup} (5.7 for selection, 5.19 for rings): one CQE, one buffer at most.
     */
    public boolean prepRecvSelect(int fd, int bufGroup, int len, int msgFlags, long userData) {
        return prep(OP_RECV, IOSQE_BUFFER_SELECT, 0, fd, 0, len, 0, msgFlags, bufGroup, userData);
    }

    /** send from {@code buf[off, off+len)}: the memory must live until its CQE. */
    public boolean prepSend(int fd, MemorySegment buf, long off, int len, int msgFlags, long userData) {
        return prep(OP_SEND, 0, 0, fd, Unistd.address(buf, off, len), len, 0, msgFlags, 0, userData);
    }

    /**
     * sendmsg of the first {@code iovecs} iovecs of {@code vector} (an {@link IoUring#initSendVector}
     * one; 5.3): the vector and the memory it points at must live until the CQE.
     */
    public boolean prepSendmsg(int fd, MemorySegment vector, int iovecs, int msgFlags, long userData) {
        vector.set(JAVA_LONG, Mmsg.MSG_IOVLEN, iovecs);
        // len 1, as liburing's io_uring_prep_sendmsg: one msghdr.
        return prep(OP_SENDMSG, 0, 0, fd, Unistd.address(vector, 0, Mmsg.MSGHDR.byteSize()), 1, 0, msgFlags, 0, userData);
    }

    /** read into {@code buf[off, off+len)} at file position {@code pos} (-1: the current one). */
    public boolean prepRead(int fd, MemorySegment buf, long off, int len, long pos, long userData) {
        return prep(OP_READ, 0, 0, fd, Unistd.address(buf, off, len), len, pos, 0, 0, userData);
    }

    /** connect to the sockaddr at {@code addr} (it must live until the CQE). */
    public boolean prepConnect(int fd, MemorySegment addr, int addrLen, long userData) {
        return prep(OP_CONNECT, 0, 0, fd, Unistd.address(addr, 0, addrLen), 0, addrLen, 0, 0, userData);
    }

    /** Cancels the request(s) whose user_data is {@code target}; {@code cancelFlags}: ASYNC_CANCEL_*. */
    public boolean prepCancel(long target, int cancelFlags, long userData) {
        return prep(OP_ASYNC_CANCEL, 0, 0, -1, target, 0, 0, cancelFlags, 0, userData);
    }

    /** SQEs prepared and not yet consumed by the kernel. */
    public int pending() {
        return sqTail - (int) INT.getAcquire(sqRing, sqHeadOff);
    }

    private int publish() {
        INT.setRelease(sqRing, sqTailOff, sqTail);
        return pending();
    }

    /** Submits the prepared SQEs without waiting: the number consumed, or -errno. */
    public int submit() {
        return IoUring.enter(cs, fd, publish(), 0, 0, 0, 0);
    }

    /**
     * Submits the prepared SQEs and waits until {@code minComplete} CQEs are ready or
     * {@code timeoutNanos} passed (negative: no limit; 0 with minComplete 0: run deferred completions
     * and return). Under DEFER_TASKRUN this is the only place completions are posted. Returns the
     * number of SQEs consumed, or -errno: {@code -ETIME} when the wait ended early (timeout, signal),
     * which is no error: read the CQ ring and call again.
     */
    public int submitAndWait(int minComplete, long timeoutNanos) {
        int toSubmit = publish();
        if (timeoutNanos < 0) {
            return IoUring.enter(cs, fd, toSubmit, minComplete, ENTER_GETEVENTS, 0, 0);
        }
        timespec.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        timespec.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        return IoUring.enter(cs, fd, toSubmit, minComplete, ENTER_GETEVENTS | ENTER_EXT_ARG, eventsArgAddr,
                GETEVENTS_ARG.byteSize());
    }

    // ---------------------------------------------------------------- completion

    /** The number of CQEs ready to read. */
    public int cqReady() {
        return (int) INT.getAcquire(cqRing, cqTailOff) - cqHead;
    }

    private long cqe(int i) {
        return cqesOff + (long) ((cqHead + i) & cqMask) * CQE_SIZE;
    }

    /** user_data of the {@code i}-th ready CQE (0: the oldest). */
    public long cqeUserData(int i) {
        return cqRing.get(JAVA_LONG, cqe(i) + CQE_USER_DATA);
    }

    /** res of the {@code i}-th ready CQE: a result, or -errno. */
    public int cqeRes(int i) {
        return cqRing.get(JAVA_INT, cqe(i) + CQE_RES);
    }

    /** flags of the {@code i}-th ready CQE (CQE_F_*; the buffer id in the upper 16 bits). */
    public int cqeFlags(int i) {
        return cqRing.get(JAVA_INT, cqe(i) + CQE_FLAGS);
    }

    /** Gives {@code n} read CQEs back to the kernel. */
    public void cqAdvance(int n) {
        cqHead += n;
        INT.setRelease(cqRing, cqHeadOff, cqHead);
    }

    /** Receives one CQE. */
    @FunctionalInterface
    public interface CqeHandler {
        void onCqe(long userData, int res, int flags);
    }

    /**
     * Hands every ready CQE to {@code h} in order and gives them back to the kernel: the number
     * handled. A CQE is given back before the next is read, also when {@code h} throws.
     */
    public int drain(CqeHandler h) {
        int n = cqReady(), i = 0;
        try {
            for (; i < n; i++) {
                long o = cqe(0);
                cqHead++;
                h.onCqe(cqRing.get(JAVA_LONG, o + CQE_USER_DATA), cqRing.get(JAVA_INT, o + CQE_RES),
                        cqRing.get(JAVA_INT, o + CQE_FLAGS));
            }
        } finally {
            INT.setRelease(cqRing, cqHeadOff, cqHead);
        }
        return n;
    }

    // ---------------------------------------------------------------- the rest

    /** This ring's errno capture segment (cold calls only). */
    MemorySegment callState() {
        return cs;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Whether the kernel accepted DEFER_TASKRUN for this ring. */
    public boolean deferTaskrun() {
        return (setupFlags & SETUP_DEFER_TASKRUN) != 0;
    }

    /**
     * Unmaps the rings and closes the ring fd: the kernel then cancels what is still in flight, in
     * the background. Memory any request reads or writes (send/recv buffers, provided buffer rings)
     * must stay valid until that request's last CQE; reap them (cancel, then wait) before closing.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        IoUring.munmap(cs, sqes.address(), sqesLen);
        if (cqRingLen != 0) IoUring.munmap(cs, cqRing.address(), cqRingLen);
        IoUring.munmap(cs, sqRing.address(), sqRingLen);
        Unistd.close(cs, fd);
        arena.close();
    }
}
