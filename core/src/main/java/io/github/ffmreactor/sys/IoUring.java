package io.github.ffmreactor.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Linux io_uring, the ABI: the three system calls through {@code syscall(2)} (glibc has no
 * wrappers), mmap/munmap, the UAPI structs of {@code <linux/io_uring.h>} and the constants this
 * project uses. {@link Uring} is the ring built on it. Facts and sources: native-notes/io_uring.md.
 *
 * <p>System call numbers: {@code io_uring_setup} 425, {@code io_uring_enter} 426,
 * {@code io_uring_register} 427, the same on x86_64 ({@code asm/unistd_64.h}) and aarch64
 * ({@code asm-generic/unistd.h}): every syscall added since 5.1 has one number on all arches.
 *
 * <p>Every call returns its result or {@code -errno}. Setup and register are cold and capture errno.
 * The enter handles capture none (see {@link #enter}): a failed enter is asked again.
 */
public final class IoUring {
    private IoUring() {}

    public static final long SYS_SETUP = 425, SYS_ENTER = 426, SYS_REGISTER = 427;

    /** Whether this process can link the calls at all: Linux on x86_64 or aarch64. */
    public static final boolean LINKABLE = Platform.CURRENT == Platform.LINUX
            && (Platform.ARCH.equals("x86_64") || Platform.ARCH.equals("aarch64"));

    // --- io_uring_setup flags (IORING_SETUP_*)
    public static final int SETUP_IOPOLL = 1, SETUP_SQPOLL = 1 << 1, SETUP_CQSIZE = 1 << 3, SETUP_CLAMP = 1 << 4,
            SETUP_R_DISABLED = 1 << 6, SETUP_SUBMIT_ALL = 1 << 7, SETUP_COOP_TASKRUN = 1 << 8,
            SETUP_TASKRUN_FLAG = 1 << 9, SETUP_SINGLE_ISSUER = 1 << 12, SETUP_DEFER_TASKRUN = 1 << 13;

    // --- features (io_uring_params.features, IORING_FEAT_*)
    public static final int FEAT_SINGLE_MMAP = 1, FEAT_NODROP = 1 << 1, FEAT_SUBMIT_STABLE = 1 << 2,
            FEAT_FAST_POLL = 1 << 5, FEAT_EXT_ARG = 1 << 8, FEAT_NATIVE_WORKERS = 1 << 9, FEAT_CQE_SKIP = 1 << 11;

    // --- io_uring_enter flags (IORING_ENTER_*)
    public static final int ENTER_GETEVENTS = 1, ENTER_SQ_WAKEUP = 1 << 1, ENTER_EXT_ARG = 1 << 3;

    // --- mmap offsets (IORING_OFF_*)
    public static final long OFF_SQ_RING = 0L, OFF_CQ_RING = 0x8000000L, OFF_SQES = 0x10000000L;

    // --- opcodes (enum io_uring_op)
    public static final byte OP_NOP = 0, OP_POLL_ADD = 6, OP_SENDMSG = 9, OP_TIMEOUT = 11, OP_ACCEPT = 13,
            OP_ASYNC_CANCEL = 14, OP_LINK_TIMEOUT = 15, OP_CONNECT = 16, OP_CLOSE = 19, OP_READ = 22, OP_WRITE = 23, OP_SEND = 26,
            OP_RECV = 27, OP_SHUTDOWN = 34, OP_MSG_RING = 40, OP_SOCKET = 45, OP_SEND_ZC = 47;

    // --- sqe.flags (IOSQE_*)
    public static final byte IOSQE_FIXED_FILE = 1, IOSQE_IO_DRAIN = 1 << 1, IOSQE_IO_LINK = 1 << 2,
            IOSQE_IO_HARDLINK = 1 << 3, IOSQE_ASYNC = 1 << 4, IOSQE_BUFFER_SELECT = 1 << 5,
            IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    /** sqe.ioprio of a RECV/SEND: IORING_RECVSEND_POLL_FIRST, IORING_RECV_MULTISHOT. */
    public static final short RECVSEND_POLL_FIRST = 1, RECV_MULTISHOT = 1 << 1;
    /** sqe.ioprio of an ACCEPT: IORING_ACCEPT_MULTISHOT. */
    public static final short ACCEPT_MULTISHOT = 1;
    /** sqe.cancel_flags: IORING_ASYNC_CANCEL_ALL, _FD, _ANY. */
    public static final int ASYNC_CANCEL_ALL = 1, ASYNC_CANCEL_FD = 1 << 1, ASYNC_CANCEL_ANY = 1 << 2;
    /** sqe.timeout_flags: IORING_TIMEOUT_ABS, IORING_TIMEOUT_MULTISHOT (6.4). */
    public static final int TIMEOUT_ABS = 1, TIMEOUT_MULTISHOT = 1 << 6;
    /** sqe.addr of an OP_MSG_RING: IORING_MSG_DATA. */
    public static final long MSG_DATA = 0;

    // --- cqe.flags (IORING_CQE_F_*)
    public static final int CQE_F_BUFFER = 1, CQE_F_MORE = 1 << 1, CQE_F_SOCK_NONEMPTY = 1 << 2, CQE_F_NOTIF = 1 << 3;
    /** The buffer id of a CQE with {@link #CQE_F_BUFFER} is {@code flags >>> CQE_BUFFER_SHIFT}. */
    public static final int CQE_BUFFER_SHIFT = 16;

    // --- io_uring_register opcodes (IORING_REGISTER_*)
    public static final int REGISTER_PROBE = 8, REGISTER_RING_FDS = 20, REGISTER_PBUF_RING = 22,
            UNREGISTER_PBUF_RING = 23;
    /** io_uring_probe_op.flags: IO_URING_OP_SUPPORTED. */
    public static final int OP_SUPPORTED = 1;

    // --- errnos io_uring returns that the shared table lacks (Linux numbers)
    public static final int ECANCELED = 125, ETIME = 62, EBUSY = 16, EEXIST = 17;

    // --- mmap(2)
    public static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20,
            MAP_POPULATE = 0x8000;

    // ---------------------------------------------------------------- layouts (kernel UAPI)

    /** struct io_sqring_offsets: 40 bytes. */
    public static final StructLayout SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));

    /** struct io_cqring_offsets: 40 bytes. */
    public static final StructLayout CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));

    /** struct io_uring_params: 120 bytes. */
    public static final StructLayout PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            SQRING_OFFSETS.withName("sq_off"), CQRING_OFFSETS.withName("cq_off"));

    /**
     * struct io_uring_sqe: 64 bytes. The unions are named after the member this project uses:
     * {@code off} (also addr2), {@code addr} (also splice_off_in), {@code op_flags} (rw_flags,
     * msg_flags, accept_flags, cancel_flags, timeout_flags...), {@code buf_index} (also buf_group),
     * {@code file_index} (also splice_fd_in).
     */
    public static final StructLayout SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"), JAVA_INT.withName("op_flags"), JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_index"), JAVA_SHORT.withName("personality"), JAVA_INT.withName("file_index"),
            JAVA_LONG.withName("addr3"), JAVA_LONG.withName("pad2"));

    /** struct io_uring_cqe: 16 bytes (no CQE32). */
    public static final StructLayout CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"));

    /** struct __kernel_timespec: 16 bytes (64-bit seconds on every arch). */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));

    /** struct io_uring_getevents_arg: 24 bytes (pad is min_wait_usec since 6.12). */
    public static final StructLayout GETEVENTS_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"), JAVA_INT.withName("sigmask_sz"), JAVA_INT.withName("pad"),
            JAVA_LONG.withName("ts"));

    /**
     * struct io_uring_buf: 16 bytes. struct io_uring_buf_ring is an array of these whose first
     * entry's {@code resv} is the ring's {@code tail} (a union): offset 14, 16 bits.
     */
    public static final StructLayout BUF = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv"));

    /** struct io_uring_buf_reg: 40 bytes. */
    public static final StructLayout BUF_REG = MemoryLayout.structLayout(
            JAVA_LONG.withName("ring_addr"), JAVA_INT.withName("ring_entries"), JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("flags"), MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("resv"));

    /** struct io_uring_probe_op: 8 bytes. */
    public static final StructLayout PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"), JAVA_BYTE.withName("resv"), JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2"));

    /** struct io_uring_probe, without its flexible {@code ops[]} array: 16 bytes. */
    public static final StructLayout PROBE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"), JAVA_BYTE.withName("ops_len"), JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"));

    public static final long SQE_SIZE = SQE.byteSize(), CQE_SIZE = CQE.byteSize(), BUF_SIZE = BUF.byteSize();
    /** struct io_uring_buf_ring.tail. */
    public static final long BUF_RING_TAIL = 14;

    public static final long SQE_OPCODE = off(SQE, "opcode"), SQE_FLAGS = off(SQE, "flags"),
            SQE_IOPRIO = off(SQE, "ioprio"), SQE_FD = off(SQE, "fd"), SQE_OFF = off(SQE, "off"),
            SQE_ADDR = off(SQE, "addr"), SQE_LEN = off(SQE, "len"), SQE_OP_FLAGS = off(SQE, "op_flags"),
            SQE_USER_DATA = off(SQE, "user_data"), SQE_BUF_INDEX = off(SQE, "buf_index"),
            SQE_FILE_INDEX = off(SQE, "file_index"), SQE_ADDR3 = off(SQE, "addr3");
    public static final long CQE_USER_DATA = off(CQE, "user_data"), CQE_RES = off(CQE, "res"),
            CQE_FLAGS = off(CQE, "flags");
    public static final long P_SQ_ENTRIES = off(PARAMS, "sq_entries"), P_CQ_ENTRIES = off(PARAMS, "cq_entries"),
            P_FLAGS = off(PARAMS, "flags"), P_FEATURES = off(PARAMS, "features"),
            P_SQ_OFF = off(PARAMS, "sq_off"), P_CQ_OFF = off(PARAMS, "cq_off");

    /**
     * A SENDMSG's vector: a {@code struct msghdr} ({@link Mmsg#MSGHDR}, 56 bytes: no address, no
     * control) rounded up to 64, then its {@code struct iovec}s ({@link Mmsg#IOVEC}, 16 bytes each).
     */
    public static final long SEND_VECTOR_IOV = 64;

    /** Bytes of a SENDMSG vector with room for {@code iovecs} iovecs. */
    public static long sendVectorBytes(int iovecs) {
        return SEND_VECTOR_IOV + iovecs * Mmsg.IOVEC.byteSize();
    }

    /** Zeroes the msghdr of vector {@code v} and points its msg_iov at v's own iovecs (once per vector). */
    public static void initSendVector(MemorySegment v) {
        v.asSlice(0, Mmsg.MSGHDR.byteSize()).fill((byte) 0);
        v.set(JAVA_LONG, Mmsg.MSG_IOV, Unistd.address(v, SEND_VECTOR_IOV, v.byteSize() - SEND_VECTOR_IOV));
    }

    /** Sets iovec {@code i} of vector {@code v} to {@code buf[off, off+len)}. */
    public static void setIovec(MemorySegment v, int i, MemorySegment buf, long off, long len) {
        long o = SEND_VECTOR_IOV + i * Mmsg.IOVEC.byteSize();
        v.set(JAVA_LONG, o + Mmsg.IOV_BASE, Unistd.address(buf, off, len));
        v.set(JAVA_LONG, o + Mmsg.IOV_LEN, len);
    }

    /** Byte offset of member {@code name} in {@code l}. */
    public static long off(StructLayout l, String name) {
        return l.byteOffset(groupElement(name));
    }

    // ---------------------------------------------------------------- calls

    /** syscall(nr, ...) with {@code longArgs} long arguments (nr included): every argument is a long. */
    private static Bind syscall(int longArgs) {
        var args = new MemoryLayout[longArgs];
        Arrays.fill(args, JAVA_LONG);
        return Bind.fn("syscall", JAVA_LONG, args).variadicFrom(1);
    }

    private static final Fn.LongCJJJ SETUP = syscall(3).errno().linkIf(LINKABLE, Fn.LongCJJJ.class);
    private static final Fn.LongCJJJJJ REGISTER = syscall(5).errno().linkIf(LINKABLE, Fn.LongCJJJJJ.class);
    // io_uring_enter with a wait blocks: not critical. It captures no errno (a capture slices the
    // capture segment: 40 B per call where C2 does not inline the whole adapter, native-notes/ffm.md).
    private static final Fn.LongJJJJJJJ ENTER = syscall(7).linkIf(LINKABLE, Fn.LongJJJJJJJ.class);
    // Without GETEVENTS or with min_complete 0 and no timeout it never sleeps: critical is safe.
    private static final Fn.LongJJJJJJJ ENTER_NOW = syscall(7).critical().linkIf(LINKABLE, Fn.LongJJJJJJJ.class);
    private static final Fn.LongCJJJJJJJ ENTER_NOW_ERRNO = syscall(7).errno().critical().linkIf(LINKABLE, Fn.LongCJJJJJJJ.class);
    // mmap returns MAP_FAILED (-1) on failure; a user-space address is never negative on 64-bit Linux.
    private static final Fn.LongCJJIIIJ MMAP = Bind.fn("mmap", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_LONG).errno().linkIf(LINKABLE, Fn.LongCJJIIIJ.class);
    private static final Fn.IntCJJ MUNMAP = Bind.fn("munmap", JAVA_INT, JAVA_LONG, JAVA_LONG).errno().linkIf(LINKABLE, Fn.IntCJJ.class);

    private static void linked() {
        if (!LINKABLE) throw new UnsupportedOperationException("io_uring needs Linux on x86_64 or aarch64, not "
                + Platform.CURRENT + " " + Platform.ARCH);
    }

    /** io_uring_setup(entries, params): the ring fd or -errno. {@code params} is a {@link #PARAMS}. */
    public static int setup(MemorySegment cs, int entries, MemorySegment params) {
        linked();
        long p = Unistd.address(params, 0, PARAMS.byteSize());
        return (int) Bind.ret(cs, SETUP.call(cs, SYS_SETUP, entries, p));
    }

    /** io_uring_register(fd, opcode, arg, nrArgs): the result or -errno. */
    public static int register(MemorySegment cs, int fd, int opcode, long arg, int nrArgs) {
        linked();
        return (int) Bind.ret(cs, REGISTER.call(cs, SYS_REGISTER, fd, opcode, arg, nrArgs));
    }

    /**
     * io_uring_enter(fd, toSubmit, minComplete, flags, arg, argSize): the number of SQEs consumed,
     * or -errno. Captures no errno on success. When the call fails, it is asked again with nothing
     * to submit and no wait, errno captured: an errno that describes the ring or the arguments
     * (EBADF, EFAULT, EINVAL, EOPNOTSUPP, EEXIST from a second issuer) comes back again and is
     * returned; if the second call succeeds, the first failure was transient, a wait that ended
     * before {@code minComplete} completions (ETIME at its timeout, EINTR at a signal, EAGAIN or
     * EBUSY): that is returned as {@code -ETIME}, "look at the CQ ring and go round again". A failed
     * enter consumed no SQE (the kernel returns the count when it submitted any), so none is lost.
     */
    public static int enter(MemorySegment cs, int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.WAIT, fd);
            if (e != 0) return -e;
        }
        return enterCall(cs, fd, toSubmit, minComplete, flags, arg, argSize);
    }

    private static int enterCall(MemorySegment cs, int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
        boolean sleeps = (flags & ENTER_GETEVENTS) != 0 && (minComplete > 0 || (flags & ENTER_EXT_ARG) != 0);
        long r = sleeps
                ? ENTER.call(SYS_ENTER, fd, toSubmit, minComplete, flags, arg, argSize)
                : ENTER_NOW.call(SYS_ENTER, fd, toSubmit, minComplete, flags, arg, argSize);
        return r >= 0 ? (int) r : enterAgain(cs, fd);
    }

    private static int enterAgain(MemorySegment cs, int fd) {
        long r = Bind.ret(cs, ENTER_NOW_ERRNO.call(cs, SYS_ENTER, fd, 0L, 0L, ENTER_GETEVENTS, 0L, 0L));
        return r < 0 ? (int) r : -ETIME;
    }

    /** mmap(addr, len, prot, flags, fd, off): the address, or -errno (MAP_FAILED is -1). */
    public static long mmap(MemorySegment cs, long len, int prot, int flags, int fd, long off) {
        linked();
        return Bind.ret(cs, MMAP.call(cs, 0L, len, prot, flags, fd, off));
    }

    /**
     * {@code len} bytes of private anonymous read/write memory (memory the io_uring engine lends to
     * connections): the address, or -errno. The fault seam's {@link Faults.Call#MMAP} fails it.
     */
    public static long mapAnonymous(MemorySegment cs, long len) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.MMAP, Faults.ANY_FD);
            if (e != 0) return -e;
        }
        return mmap(cs, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }

    /**
     * An anonymous private read-write mapping of {@code len} bytes as a segment of exactly that
     * size ({@code what} names it in the error; the memory stays mapped until {@link #munmap}; the segment does not unmap it).
     */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    public static MemorySegment mapAnonymousSegment(long len, String what) throws NativeException {
        long a = mapAnonymous(Native.threadCallState(), len);
        if (a < 0) throw Errno.exception("mmap", (int) -a, what + ", " + len + " bytes");
        return MemorySegment.ofAddress(a).reinterpret(len);
    }

    /** munmap(addr, len): 0 or -errno. */
    public static int munmap(MemorySegment cs, long addr, long len) {
        linked();
        return Bind.ret(cs, MUNMAP.call(cs, addr, len));
    }

    /** What an errno from io_uring_setup (or mmap of a ring) most likely means. */
    static String setupCause(int errno) {
        if (errno == Errno.ENOSYS) {
            return !LINKABLE ? "io_uring needs Linux on x86_64 or aarch64"
                    : "the kernel has no io_uring (older than 5.1, or built without CONFIG_IO_URING), "
                    + "or a seccomp filter answers ENOSYS (Docker's default profile blocks io_uring)";
        }
        if (errno == Errno.EPERM) {
            return "io_uring is disabled for this process: kernel.io_uring_disabled=" + disabledSysctl()
                    + " (2: for everyone, 1: only for members of kernel.io_uring_group), or a seccomp filter";
        }
        if (errno == Errno.ENOMEM) {
            return "not enough locked memory for the ring: kernels before 5.12 charge rings to RLIMIT_MEMLOCK "
                    + "(ulimit -l; containers often give 64 KiB); use fewer entries or raise the limit";
        }
        if (errno == Errno.EINVAL) return "the kernel rejects these entries or flags";
        if (errno == Errno.EMFILE || errno == Errno.ENFILE) return "no fd left for the ring";
        return "see native-notes/io_uring.md";
    }

    private static String disabledSysctl() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
        } catch (Exception e) {
            return "(absent: a kernel before 6.6)";
        }
    }
}
