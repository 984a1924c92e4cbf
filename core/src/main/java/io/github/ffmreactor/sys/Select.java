package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * POSIX select(2), {@code fd_set} and {@code struct timeval}.
 *
 * <p>{@code fd_set} is a bit array of FD_SETSIZE bits: fd {@code n} is bit {@code n % W} of word
 * {@code n / W}. The word is a {@code long} in glibc and FreeBSD and an {@code __int32_t} on
 * macOS, but on a little-endian machine both put fd {@code n} at bit {@code n % 8} of byte
 * {@code n / 8}, so one encoding (an array of longs written little-endian) fits all three.
 * FD_SETSIZE is 1024 on Linux, macOS and FreeBSD: 128 bytes. Passing an fd at or above it is
 * undefined behaviour in C (glibc aborts under _FORTIFY_SOURCE); here it is refused up front.
 *
 * <p>{@code struct timeval} is 16 bytes on the 64-bit targets: {@code tv_sec} (8 bytes) at 0 and
 * {@code tv_usec} at 8, a {@code long} on Linux and FreeBSD and an {@code int} followed by 4
 * bytes of padding on macOS; writing the microseconds as a little-endian long fits all three.
 */
public final class Select {
    private Select() {}

    /** FD_SETSIZE on {@code p}: 1024 on Linux (glibc, musl), macOS and FreeBSD. */
    public static int fdSetSize(Platform p) {
        return switch (p) {
            case LINUX, MACOS, FREEBSD -> 1024;
            default -> throw new IllegalArgumentException("no POSIX select on " + p);
        };
    }

    public static final int FD_SETSIZE = Platform.CURRENT == Platform.WINDOWS ? 0 : fdSetSize(Platform.CURRENT);
    /** Bytes in one fd_set: FD_SETSIZE / 8. */
    public static final long FD_SET_BYTES = FD_SETSIZE / 8;
    /** Longs in one fd_set bit array. */
    public static final int FD_SET_WORDS = FD_SETSIZE / 64;
    public static final long TIMEVAL_SIZE = 16;

    private static final boolean POSIX = Platform.CURRENT != Platform.WINDOWS;

    // select with a timeout blocks: never critical.
    // The four pointers travel as checked 64-bit addresses (as read/write do): a downcall adapter
    // with four segment arguments plus errno capture was big enough that C2, in a JVM full of other
    // compiled code, sometimes did not inline it, and the JDK's per-call slice of the capture
    // segment then became a real 40-byte allocation per select (found by ZeroAllocationTest).
    private static final Fn.IntCIJJJJ SELECT = Bind.fn("select", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG)
            .errno().optional().linkIf(POSIX, Fn.IntCIJJJJ.class);

    /**
     * Which select this OS has: POSIX's, over bit-array fd_sets ({@link Select}), or Winsock's, over
     * counted lists of SOCKET handles ({@link Winsock#select}). The backends differ by type, so the
     * poller layer picks one by this value and never tests the OS.
     */
    public enum Flavour {
        POSIX, WINSOCK;

        /** Whether this flavour's select can be called in this process. */
        public boolean available() {
            return this == WINSOCK ? Winsock.available() : Select.available();
        }
    }

    /** This OS's select. */
    public static final Flavour FLAVOUR = Platform.CURRENT == Platform.WINDOWS ? Flavour.WINSOCK : Flavour.POSIX;

    public static boolean available() {
        return SELECT != null && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    }

    /** select(nfds, r, w, e, timeout); any set or the timeout may be NULL. Ready count, 0, or -errno. */
    public static int select(MemorySegment cs, int nfds, MemorySegment readfds, MemorySegment writefds,
                             MemorySegment exceptfds, MemorySegment timeout) {
        if (Faults.ENABLED) {
            int e = Faults.injected(Faults.Call.WAIT, Faults.ANY_FD);
            if (e != 0) return -e;
        }
        return Bind.ret(cs, SELECT.call(cs, nfds, addressOrNull(readfds), addressOrNull(writefds),
                    addressOrNull(exceptfds), addressOrNull(timeout)));
    }

    private static long addressOrNull(MemorySegment s) {
        return s.equals(MemorySegment.NULL) ? 0L : Unistd.address(s, 0, s.byteSize());
    }

    // ---- fd_set as a Java bit array of longs ------------------------------------------------------

    public static void set(long[] bits, int fd) {
        bits[fd >>> 6] |= 1L << (fd & 63);
    }

    public static void clear(long[] bits, int fd) {
        bits[fd >>> 6] &= ~(1L << (fd & 63));
    }

    public static boolean isSet(long[] bits, int fd) {
        return (bits[fd >>> 6] & (1L << (fd & 63))) != 0;
    }

    /** Copies the first {@code words} longs of {@code bits} into the native fd_set {@code out}. */
    public static void encode(long[] bits, int words, MemorySegment out) {
        // Word by word: MemorySegment.copy from an array wraps it in a heap segment, which is only
        // free when C2 inlines deep enough; in a busy JVM it measured 40 B per select call.
        for (int i = 0; i < words; i++) out.setAtIndex(JAVA_LONG, i, bits[i]);
    }

    /** Whether fd's bit is set in the native fd_set {@code set}. */
    public static boolean isSet(MemorySegment set, int fd) {
        return (set.get(JAVA_LONG, (long) (fd >>> 6) << 3) & (1L << (fd & 63))) != 0;
    }

    /** Writes a {@code struct timeval} of {@code millis} (not negative). */
    public static void timeval(MemorySegment tv, int millis) {
        tv.set(JAVA_LONG, 0, millis / 1000);
        tv.set(JAVA_LONG, 8, (millis % 1000) * 1000L);
    }
}
