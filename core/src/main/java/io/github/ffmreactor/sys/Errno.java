package io.github.ffmreactor.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import io.github.ffmreactor.NativeException;

/**
 * errno values and names. The numbers differ between Linux and the BSDs (EAGAIN is 11 on Linux,
 * 35 on macOS and FreeBSD), so each OS has its own table; the constants below are the running
 * OS's. Bindings return {@code -errno} on failure, so callers compare with {@code -Errno.EAGAIN}.
 */
public final class Errno {
    private Errno() {}

    /** The symbolic errno names, by number, for one OS. */
    public static final Map<String, Integer> LINUX = table(
            "EPERM", 1, "ENOENT", 2, "ESRCH", 3, "EINTR", 4, "EIO", 5, "ENXIO", 6, "E2BIG", 7,
            "ENOEXEC", 8, "EBADF", 9, "ECHILD", 10, "EAGAIN", 11, "ENOMEM", 12, "EACCES", 13,
            "EFAULT", 14, "EBUSY", 16, "EEXIST", 17, "EXDEV", 18, "ENODEV", 19, "ENOTDIR", 20,
            "EISDIR", 21, "EINVAL", 22, "ENFILE", 23, "EMFILE", 24, "ENOTTY", 25, "EFBIG", 27,
            "ENOSPC", 28, "ESPIPE", 29, "EROFS", 30, "EMLINK", 31, "EPIPE", 32, "EDOM", 33,
            "ERANGE", 34, "EDEADLK", 35, "ENAMETOOLONG", 36, "ENOLCK", 37, "ENOSYS", 38,
            "ENOTEMPTY", 39, "ELOOP", 40, "ENOTSOCK", 88, "EDESTADDRREQ", 89, "EMSGSIZE", 90,
            "EPROTOTYPE", 91, "ENOPROTOOPT", 92, "EPROTONOSUPPORT", 93, "EOPNOTSUPP", 95,
            "EAFNOSUPPORT", 97, "EADDRINUSE", 98, "EADDRNOTAVAIL", 99, "ENETDOWN", 100,
            "ENETUNREACH", 101, "ECONNABORTED", 103, "ECONNRESET", 104, "ENOBUFS", 105,
            "EISCONN", 106, "ENOTCONN", 107, "ETIMEDOUT", 110, "ECONNREFUSED", 111,
            "EHOSTUNREACH", 113, "EALREADY", 114, "EINPROGRESS", 115);

    /** macOS (xnu) numbers; FreeBSD shares them for every name listed here. */
    public static final Map<String, Integer> BSD = table(
            "EPERM", 1, "ENOENT", 2, "ESRCH", 3, "EINTR", 4, "EIO", 5, "ENXIO", 6, "E2BIG", 7,
            "ENOEXEC", 8, "EBADF", 9, "ECHILD", 10, "EDEADLK", 11, "ENOMEM", 12, "EACCES", 13,
            "EFAULT", 14, "EBUSY", 16, "EEXIST", 17, "EXDEV", 18, "ENODEV", 19, "ENOTDIR", 20,
            "EISDIR", 21, "EINVAL", 22, "ENFILE", 23, "EMFILE", 24, "ENOTTY", 25, "EFBIG", 27,
            "ENOSPC", 28, "ESPIPE", 29, "EROFS", 30, "EMLINK", 31, "EPIPE", 32, "EDOM", 33,
            "ERANGE", 34, "EAGAIN", 35, "EINPROGRESS", 36, "EALREADY", 37, "ENOTSOCK", 38,
            "EDESTADDRREQ", 39, "EMSGSIZE", 40, "EPROTOTYPE", 41, "ENOPROTOOPT", 42,
            "EPROTONOSUPPORT", 43, "EOPNOTSUPP", 45, "EAFNOSUPPORT", 47, "EADDRINUSE", 48,
            "EADDRNOTAVAIL", 49, "ENETDOWN", 50, "ENETUNREACH", 51, "ECONNABORTED", 53,
            "ECONNRESET", 54, "ENOBUFS", 55, "EISCONN", 56, "ENOTCONN", 57, "ETIMEDOUT", 60,
            "ECONNREFUSED", 61, "ELOOP", 62, "ENAMETOOLONG", 63, "EHOSTUNREACH", 65,
            "ENOTEMPTY", 66, "ENOLCK", 77, "ENOSYS", 78);

    /** Winsock's WSAGetLastError codes, under their POSIX names. */
    public static final Map<String, Integer> WINSOCK = table(
            "EINTR", 10004, "EBADF", 10009, "EACCES", 10013, "EFAULT", 10014, "EINVAL", 10022,
            "EMFILE", 10024, "EAGAIN", 10035, "EINPROGRESS", 10036, "EALREADY", 10037,
            "ENOTSOCK", 10038, "EDESTADDRREQ", 10039, "EMSGSIZE", 10040, "EPROTOTYPE", 10041,
            "ENOPROTOOPT", 10042, "EPROTONOSUPPORT", 10043, "EOPNOTSUPP", 10045,
            "EAFNOSUPPORT", 10047, "EADDRINUSE", 10048, "EADDRNOTAVAIL", 10049, "ENETDOWN", 10050,
            "ENETUNREACH", 10051, "ECONNABORTED", 10053, "ECONNRESET", 10054, "ENOBUFS", 10055,
            "EISCONN", 10056, "ENOTCONN", 10057, "ETIMEDOUT", 10060, "ECONNREFUSED", 10061,
            "ELOOP", 10062, "ENAMETOOLONG", 10063, "EHOSTUNREACH", 10065, "ENOTEMPTY", 10066,
            // Not Winsock codes, but the names must resolve; these numbers are never returned.
            "ENOENT", 2, "EPIPE", 32, "ENOSYS", 40);

    /** The table of the running OS. */
    public static final Map<String, Integer> CURRENT = switch (Platform.CURRENT) {
        case MACOS, FREEBSD -> BSD;
        case WINDOWS -> WINSOCK;
        default -> LINUX;
    };

    private static final Map<Integer, String> NAMES = invert(CURRENT);

    public static final int EPERM = of("EPERM"), ENOENT = of("ENOENT"), EINTR = of("EINTR"),
            EBADF = of("EBADF"), EAGAIN = of("EAGAIN"), ENOMEM = of("ENOMEM"), EEXIST = of("EEXIST"),
            EINVAL = of("EINVAL"), EMFILE = of("EMFILE"), ENFILE = of("ENFILE"), EPIPE = of("EPIPE"),
            ENOSYS = of("ENOSYS"), ENOTSOCK = of("ENOTSOCK"), EADDRINUSE = of("EADDRINUSE"),
            EADDRNOTAVAIL = of("EADDRNOTAVAIL"), ENETUNREACH = of("ENETUNREACH"),
            ECONNABORTED = of("ECONNABORTED"), ECONNRESET = of("ECONNRESET"), ENOBUFS = of("ENOBUFS"),
            EISCONN = of("EISCONN"), ENOTCONN = of("ENOTCONN"), ETIMEDOUT = of("ETIMEDOUT"),
            ECONNREFUSED = of("ECONNREFUSED"), EHOSTUNREACH = of("EHOSTUNREACH"),
            EALREADY = of("EALREADY"), EINPROGRESS = of("EINPROGRESS"), EMSGSIZE = of("EMSGSIZE");

    /** EWOULDBLOCK equals EAGAIN on Linux, macOS and FreeBSD, and is WSAEWOULDBLOCK on Windows. */
    public static final int EWOULDBLOCK = EAGAIN;

    private static final Fn.AddrI STRERROR = Bind.fn("strerror", ValueLayout.ADDRESS, ValueLayout.JAVA_INT).optional()
            .linkIf(Platform.CURRENT != Platform.WINDOWS, Fn.AddrI.class);

    private static int of(String name) {
        Integer v = CURRENT.get(name);
        if (v == null) throw new ExceptionInInitializerError("no errno " + name + " for " + Platform.CURRENT);
        return v;
    }

    /** The symbolic name of {@code errno} on this OS, e.g. {@code EAGAIN}, or {@code errno 12345}. */
    public static String name(int errno) {
        String n = NAMES.get(errno);
        return n != null ? n : "errno " + errno;
    }

    /** The symbolic name of {@code errno} in {@code table} (another OS's, say), or {@code errno N}. */
    public static String nameIn(Map<String, Integer> table, int errno) {
        String n = invert(table).get(errno);
        return n != null ? n : "errno " + errno;
    }

    /** The C library's text for {@code errno}, e.g. {@code Too many open files}. */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    public static String message(int errno) {
        if (STRERROR == null) return name(errno);
        MemorySegment s = STRERROR.call(errno);
        return s.equals(MemorySegment.NULL) ? name(errno) : s.reinterpret(256).getString(0);
    }

    /** {@code NAME (message)}, the form every exception of this project uses. */
    public static String describe(int errno) {
        return name(errno) + " (" + message(errno) + ")";
    }

    /** The exception for {@code call} failing with {@code errno}: {@code call: NAME (message)}. */
    public static NativeException exception(String call, int errno) {
        return exception(call, errno, null);
    }

    /** As {@link #exception(String, int)}, with what the call was about appended. */
    public static NativeException exception(String call, int errno, String detail) {
        return new NativeException(call, errno, name(errno), describe(errno), detail);
    }

    /**
     * Returns {@code r} when it is not negative, and otherwise throws for {@code -r} as errno: the
     * bindings of this package return {@code -errno} on failure.
     */
    public static int check(String call, int r) throws NativeException {
        if (r < 0) throw exception(call, -r);
        return r;
    }

    public static long check(String call, long r) throws NativeException {
        if (r < 0) throw exception(call, (int) -r);
        return r;
    }

    private static Map<String, Integer> table(Object... kv) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
        return Map.copyOf(m);
    }

    private static Map<Integer, String> invert(Map<String, Integer> m) {
        Map<Integer, String> r = new HashMap<>();
        // EAGAIN and EWOULDBLOCK share a number; the table holds only EAGAIN, so no clash.
        m.forEach((k, v) -> r.putIfAbsent(v, k));
        return Map.copyOf(r);
    }
}
