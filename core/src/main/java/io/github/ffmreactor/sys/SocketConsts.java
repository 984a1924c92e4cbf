package io.github.ffmreactor.sys;

/**
 * Socket constants for one OS. The numbers differ: {@code SOL_SOCKET} is 1 on Linux and 0xffff
 * on the BSDs and Windows, {@code AF_INET6} is 10, 30, 28 or 23. A value of -1 means the OS has
 * no such option; 0 for a flag means the OS has no such flag (the fcntl path is used instead).
 * Checked against the system headers in native-notes/constants.md and SocketConstsTest.
 */
public record SocketConsts(
        String os,
        int AF_UNIX, int AF_INET, int AF_INET6,
        int SOCK_STREAM, int SOCK_DGRAM, int SOCK_NONBLOCK, int SOCK_CLOEXEC,
        int SOL_SOCKET, int SO_REUSEADDR, int SO_REUSEPORT, int SO_ERROR, int SO_SNDBUF, int SO_RCVBUF,
        int SO_LINGER, int SO_NOSIGPIPE,
        int IPPROTO_TCP, int TCP_NODELAY, int IPPROTO_IPV6, int IPV6_V6ONLY,
        int SHUT_RD, int SHUT_WR, int SHUT_RDWR,
        int MSG_NOSIGNAL,
        boolean sinLen, boolean hasAccept4) {

    public static final SocketConsts LINUX = new SocketConsts("linux",
            1, 2, 10,
            1, 2, 0x800, 0x80000,
            1, 2, 15, 4, 7, 8,
            13, -1,
            6, 1, 41, 26,
            0, 1, 2,
            0x4000,
            false, true);

    public static final SocketConsts MACOS = new SocketConsts("macos",
            1, 2, 30,
            1, 2, 0, 0,
            0xffff, 0x4, 0x200, 0x1007, 0x1001, 0x1002,
            0x80, 0x1022,
            6, 1, 41, 27,
            0, 1, 2,
            0,
            true, false);

    public static final SocketConsts FREEBSD = new SocketConsts("freebsd",
            1, 2, 28,
            1, 2, 0x20000000, 0x10000000,
            0xffff, 0x4, 0x200, 0x1007, 0x1001, 0x1002,
            0x80, -1,
            6, 1, 41, 27,
            0, 1, 2,
            0x20000,
            true, true);

    public static final SocketConsts WINDOWS = new SocketConsts("windows",
            1, 2, 23,
            1, 2, 0, 0,
            0xffff, 0x4, -1, 0x1007, 0x1001, 0x1002,
            0x80, -1,
            6, 1, 41, 27,
            0, 1, 2,
            0,
            false, false);

    public static SocketConsts of(Platform p) {
        return switch (p) {
            case MACOS -> MACOS;
            case FREEBSD -> FREEBSD;
            case WINDOWS -> WINDOWS;
            default -> LINUX;
        };
    }

    /** The running OS's constants. */
    public static final SocketConsts CURRENT = of(Platform.CURRENT);
}
