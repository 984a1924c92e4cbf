package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * BSD kqueue: kqueue, kevent and {@code struct kevent}, laid out per OS.
 *
 * <pre>
 * macOS (xnu):       { uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags;
 *                      intptr_t data; void *udata; }                                  32 bytes
 * FreeBSD 12+:       { __uintptr_t ident; short filter; unsigned short flags; unsigned int fflags;
 *                      __int64_t data; void *udata; __uint64_t ext[4]; }               64 bytes
 * </pre>
 * Offsets (64-bit): ident 0, filter 8, flags 10, fflags 12, data 16, udata 24, FreeBSD ext 32.
 * The layouts are pure functions of the OS so that both can be encoded and checked on any host.
 * FreeBSD's libc exports the 12+ layout as the default version of {@code kevent}
 * ({@code kevent@@FBSD_1.5}); the 32-byte one survives only as {@code freebsd11_kevent}.
 */
public final class Kqueue {
    private Kqueue() {}

    public static final short EVFILT_READ = -1, EVFILT_WRITE = -2;
    /** EVFILT_USER: -10 on macOS, -11 on FreeBSD (where -10 is EVFILT_LIO). */
    public static short evfiltUser(Platform p) {
        return switch (p) {
            case MACOS -> (short) -10;
            case FREEBSD -> (short) -11;
            default -> throw new IllegalArgumentException("no kqueue on " + p);
        };
    }

    // Action and flag bits: the same numbers on macOS and FreeBSD.
    public static final short EV_ADD = 0x0001, EV_DELETE = 0x0002, EV_ENABLE = 0x0004, EV_DISABLE = 0x0008,
            EV_ONESHOT = 0x0010, EV_CLEAR = 0x0020, EV_RECEIPT = 0x0040, EV_DISPATCH = 0x0080,
            EV_ERROR = 0x4000, EV_EOF = (short) 0x8000;
    /** EVFILT_USER fflags: fire the event. */
    public static final int NOTE_TRIGGER = 0x01000000;

    /** {@code struct kevent} of {@code p}. */
    public static StructLayout eventLayout(Platform p) {
        return switch (p) {
            case MACOS -> MemoryLayout.structLayout(
                    JAVA_LONG.withName("ident"), JAVA_SHORT.withName("filter"), JAVA_SHORT.withName("flags"),
                    JAVA_INT.withName("fflags"), JAVA_LONG.withName("data"), JAVA_LONG.withName("udata"));
            case FREEBSD -> MemoryLayout.structLayout(
                    JAVA_LONG.withName("ident"), JAVA_SHORT.withName("filter"), JAVA_SHORT.withName("flags"),
                    JAVA_INT.withName("fflags"), JAVA_LONG.withName("data"), JAVA_LONG.withName("udata"),
                    MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("ext"));
            default -> throw new IllegalArgumentException("no kqueue on " + p);
        };
    }

    // Offsets shared by both layouts (checked against eventLayout in KqueueLayoutTest).
    public static final long IDENT = 0, FILTER = 8, FLAGS = 10, FFLAGS = 12, DATA = 16, UDATA = 24;

    /** Writes one {@code struct kevent} (EV_SET) at index {@code i} of {@code list}, for {@code p}'s layout. */
    public static void set(Platform p, MemorySegment list, int i, long ident, short filter, short flags,
                           int fflags, long data, long udata) {
        long size = p == Platform.FREEBSD ? 64 : 32;
        long b = i * size;
        list.set(JAVA_LONG, b + IDENT, ident);
        list.set(JAVA_SHORT, b + FILTER, filter);
        list.set(JAVA_SHORT, b + FLAGS, flags);
        list.set(JAVA_INT, b + FFLAGS, fflags);
        list.set(JAVA_LONG, b + DATA, data);
        list.set(JAVA_LONG, b + UDATA, udata);
        if (size == 64) list.asSlice(b + 32, 32).fill((byte) 0);
    }

    /** {@link #set(Platform, MemorySegment, int, long, short, short, int, long, long)} in the layout linked here. */
    public static void set(MemorySegment list, int i, long ident, short filter, short flags, int fflags, long data,
                           long udata) {
        set(KQ ? Platform.CURRENT : Platform.MACOS, list, i, ident, filter, flags, fflags, data, udata);
    }

    private static final boolean KQ = Platform.CURRENT == Platform.MACOS || Platform.CURRENT == Platform.FREEBSD;

    /**
     * Test aid, off by default: on Linux, link {@code kqueue} and {@code kevent} from the shared
     * library at this path (libkqueue, a user-space kqueue over epoll), so the kqueue poller runs
     * where no kernel kqueue exists. Read once, when this class initialises. Ignored on macOS and
     * FreeBSD (their kernel's kqueue is the one to test) and when blank.
     */
    public static final String LIBRARY_PROPERTY = "ffmreactor.kqueue.library";
    /** libkqueue's EVFILT_USER: FreeBSD's number, whatever the struct layout (its sys/event.h). */
    static final short LIBKQUEUE_EVFILT_USER = -11;

    private static final Emulation EMULATION = Emulation.of(
            Platform.CURRENT == Platform.LINUX ? System.getProperty(LIBRARY_PROPERTY) : null);

    /**
     * What the property gave: the library's symbols, or why they were refused. {@code path} null
     * when the property is unset (or not read on this OS).
     */
    private record Emulation(String path, SymbolLookup symbols, String refusal) {
        static Emulation of(String path) {
            if (path == null || path.isBlank()) return new Emulation(null, null, null);
            String why;
            try {
                SymbolLookup lib = Native.library(Path.of(path).toAbsolutePath());
                List<String> missing = Stream.of("kqueue", "kevent").filter(s -> lib.find(s).isEmpty()).toList();
                if (missing.isEmpty()) return new Emulation(path, lib, null);
                why = "it has no " + String.join(" or ", missing) + " symbol";
            } catch (IllegalArgumentException e) { // InvalidPathException is one
                why = "it does not load (" + e.getMessage() + ")";
            }
            return new Emulation(path, null, "-D" + LIBRARY_PROPERTY + "=" + path + " is refused: " + why
                    + "; it must name a kqueue library for Linux with the macOS struct kevent, as libkqueue.so");
        }
    }

    /** True when kqueue and kevent come from the library named by {@link #LIBRARY_PROPERTY}. */
    public static final boolean EMULATED = EMULATION.symbols() != null;
    private static final boolean LINKED = KQ || EMULATED;

    // libkqueue keeps the macOS layout on LP64 Linux (its sys/event.h: intptr_t data, no ext[]).
    public static final StructLayout EVENT = KQ ? eventLayout(Platform.CURRENT) : eventLayout(Platform.MACOS);
    public static final long EVENT_SIZE = EVENT.byteSize();
    public static final short EVFILT_USER = KQ ? evfiltUser(Platform.CURRENT) : EMULATED ? LIBKQUEUE_EVFILT_USER : 0;
    /** struct timespec { time_t tv_sec; long tv_nsec; }: 16 bytes on both. */
    public static final long TIMESPEC_SIZE = 16;

    private static final Fn.IntC KQUEUE = Bind.fn("kqueue", JAVA_INT).errno().optional().from(EMULATION.symbols())
            .linkIf(LINKED, Fn.IntC.class);
    private static Bind kevent() {
        return Bind.fn("kevent", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS).errno().optional()
                .from(EMULATION.symbols());
    }
    // Changes (with receipts, or nevents 0) return at once: critical. The wait is below.
    private static final Fn.IntCIAIAIA KEVENT_NOW = kevent().critical().linkIf(LINKED, Fn.IntCIAIAIA.class);
    // The wait (no changes) captures no errno, as epoll_wait and poll: a capture segment is sliced
    // per call, 40 B where C2 does not inline the whole adapter (ZeroAllocationTest's kqueue cases
    // under libkqueue: 40 B per round trip). A failed wait is asked again with a zero timeout and
    // errno captured: EBADF, EFAULT, EINVAL stay true and are answered; if that wait succeeds, the
    // failure was EINTR (events found are returned; none reads as EINTR, which the poller retries).
    // The wait with a timeout blocks: never critical.
    private static final Fn.IntIAIAIA KEVENT_WAIT = Bind.fn("kevent", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS,
            JAVA_INT, ADDRESS).optional().from(EMULATION.symbols()).linkIf(LINKED, Fn.IntIAIAIA.class);
    private static final Fn.IntIAIAIA KEVENT_WAIT_NOW = Bind.fn("kevent", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS,
            JAVA_INT, ADDRESS).critical().optional().from(EMULATION.symbols()).linkIf(LINKED, Fn.IntIAIAIA.class);
    /** struct timespec {0, 0}: the retry's zero timeout. */
    private static final MemorySegment ZERO_TIMEOUT = Arena.global().allocate(TIMESPEC_SIZE, 8);

    // libkqueue frees a closed kqueue's own fds on a background thread, a few ms after close(kq);
    // this entry point (exported on Linux) waits for it, so a close releases them as a kernel's does.
    private static final Fn.VoidV DRAIN_PENDING_CLOSE = Bind.fn("libkqueue_drain_pending_close", null).optional()
            .from(EMULATION.symbols()).linkIf(EMULATED, Fn.VoidV.class);

    /**
     * Whether kqueue can be used here: the OS's own, or the library {@link #LIBRARY_PROPERTY} names.
     * A property naming a library that does not load, or lacks the symbols, is refused loudly: an
     * IllegalArgumentException naming the path, so that a test run meant for kqueue cannot quietly run
     * without it.
     */
    public static boolean available() {
        if (EMULATION.refusal() != null) throw new IllegalArgumentException(EMULATION.refusal());
        return KQUEUE != null && KEVENT_NOW != null;
    }

    /** close(kq), and under the emulation its own fds with it (not a hot call). */
    public static int closeKqueue(MemorySegment cs, int kq) {
        int r = Unistd.close(cs, kq);
        if (DRAIN_PENDING_CLOSE != null) DRAIN_PENDING_CLOSE.call();
        return r;
    }

    /** kqueue(): the fd or -errno. */
    public static int kqueue(MemorySegment cs) {
        return Bind.ret(cs, KQUEUE.call(cs));
    }

    /**
     * kevent(kq, changes, nchanges, events, nevents, timeout): events written, or -errno.
     * {@code timeout} NULL waits forever; {@code blocking} false selects the critical handle and is
     * only for calls that cannot wait (nevents 0, or a zero timeout).
     */
    public static int kevent(MemorySegment cs, int kq, MemorySegment changes, int nchanges, MemorySegment events,
                             int nevents, MemorySegment timeout, boolean blocking) {
        if (Faults.ENABLED) {
            // Changes with receipts are a registration, like epoll_ctl; no changes, the wait. Changes
            // without receipts (the wakeup's trigger, the user event's add at open) are neither.
            int e = nchanges == 0 ? Faults.injected(Faults.Call.WAIT, Faults.ANY_FD)
                    : nevents > 0 ? Faults.injected(Faults.Call.CTL, Faults.ANY_FD) : 0;
            if (e != 0) return -e;
        }
        return keventCall(cs, kq, changes, nchanges, events, nevents, timeout, blocking);
    }

    private static int keventCall(MemorySegment cs, int kq, MemorySegment changes, int nchanges, MemorySegment events,
                                  int nevents, MemorySegment timeout, boolean blocking) {
        if (nchanges == 0) {
            int r = blocking ? KEVENT_WAIT.call(kq, changes, 0, events, nevents, timeout)
                    : KEVENT_WAIT_NOW.call(kq, changes, 0, events, nevents, timeout);
            if (r >= 0) return r;
            r = Bind.ret(cs, KEVENT_NOW.call(cs, kq, changes, 0, events, nevents, ZERO_TIMEOUT));
            return r == 0 ? -Errno.EINTR : r;
        }
        if (blocking) return Bind.ret(cs, KEVENT_NOW.call(cs, kq, changes, nchanges, events, nevents, timeout));
        // Changes (a registration, an oneshot re-arm per event, the wakeup's trigger) are asked
        // first without errno capture, for the same 40 B as the wait (ZeroAllocationTest's kqueue
        // oneshot case with deferred flush under libkqueue: 40 B per round trip). With receipts
        // each change's error is in its receipt; the call fails only as a whole (EBADF, EFAULT,
        // EINVAL), and is then asked again with capture: re-applying is harmless (EV_ADD modifies,
        // a second EV_DELETE's ENOENT is ignored, a second trigger is one more wakeup).
        int r = KEVENT_WAIT_NOW.call(kq, changes, nchanges, events, nevents, timeout);
        return r >= 0 ? r : Bind.ret(cs, KEVENT_NOW.call(cs, kq, changes, nchanges, events, nevents, timeout));
    }

    public static long ident(MemorySegment list, int i) {
        return list.get(JAVA_LONG, i * EVENT_SIZE + IDENT);
    }

    public static short filter(MemorySegment list, int i) {
        return list.get(JAVA_SHORT, i * EVENT_SIZE + FILTER);
    }

    public static short flags(MemorySegment list, int i) {
        return list.get(JAVA_SHORT, i * EVENT_SIZE + FLAGS);
    }

    public static int fflags(MemorySegment list, int i) {
        return list.get(JAVA_INT, i * EVENT_SIZE + FFLAGS);
    }

    public static long data(MemorySegment list, int i) {
        return list.get(JAVA_LONG, i * EVENT_SIZE + DATA);
    }

    public static long udata(MemorySegment list, int i) {
        return list.get(JAVA_LONG, i * EVENT_SIZE + UDATA);
    }

    /** Writes a {@code struct timespec} of {@code millis}. */
    public static void timespec(MemorySegment ts, int millis) {
        ts.set(JAVA_LONG, 0, millis / 1000);
        ts.set(JAVA_LONG, 8, (millis % 1000) * 1_000_000L);
    }
}
