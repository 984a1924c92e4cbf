package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-OS constant tables the backends and the net layer rely on, against the values in the
 * system headers (Linux asm-generic/glibc, xnu, FreeBSD, winsock2.h/winerror.h); the table with
 * sources is native-notes/constants.md.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PerOsConstantsTest {
    @Test
    void socketConstants() {
        SocketConsts l = SocketConsts.LINUX, m = SocketConsts.MACOS, f = SocketConsts.FREEBSD, w = SocketConsts.WINDOWS;
        assertEquals(1, l.SOL_SOCKET());
        for (SocketConsts c : new SocketConsts[] {m, f, w}) assertEquals(0xffff, c.SOL_SOCKET(), c.os());
        assertEquals(2, l.SO_REUSEADDR());
        for (SocketConsts c : new SocketConsts[] {m, f, w}) assertEquals(4, c.SO_REUSEADDR(), c.os());
        assertEquals(4, l.SO_ERROR());
        for (SocketConsts c : new SocketConsts[] {m, f, w}) assertEquals(0x1007, c.SO_ERROR(), c.os());
        assertEquals(10, l.AF_INET6());
        assertEquals(30, m.AF_INET6());
        assertEquals(28, f.AF_INET6());
        assertEquals(23, w.AF_INET6());
        assertEquals(15, l.SO_REUSEPORT());
        assertEquals(0x200, m.SO_REUSEPORT());
        assertEquals(0x200, f.SO_REUSEPORT());
        assertEquals(0x1022, m.SO_NOSIGPIPE());
        assertEquals(0x800, l.SOCK_NONBLOCK());
        assertEquals(0x80000, l.SOCK_CLOEXEC());
        assertEquals(0x20000000, f.SOCK_NONBLOCK());
        assertEquals(0x10000000, f.SOCK_CLOEXEC());
        assertEquals(0, m.SOCK_NONBLOCK(), "macOS has no SOCK_NONBLOCK: fcntl instead");
        assertEquals(0x4000, l.MSG_NOSIGNAL());
        assertEquals(0x20000, f.MSG_NOSIGNAL());
        assertEquals(26, l.IPV6_V6ONLY());
        assertEquals(27, m.IPV6_V6ONLY());
        assertTrue(m.sinLen());
        assertTrue(f.sinLen());
        assertFalse(l.sinLen());
        assertFalse(w.sinLen());
    }

    @Test
    void errnoTables() {
        assertEquals(11, Errno.LINUX.get("EAGAIN"));
        assertEquals(35, Errno.BSD.get("EAGAIN"));
        assertEquals(10035, Errno.WINSOCK.get("EAGAIN"), "WSAEWOULDBLOCK");
        assertEquals(115, Errno.LINUX.get("EINPROGRESS"));
        assertEquals(36, Errno.BSD.get("EINPROGRESS"));
        assertEquals(10036, Errno.WINSOCK.get("EINPROGRESS"));
        assertEquals(104, Errno.LINUX.get("ECONNRESET"));
        assertEquals(54, Errno.BSD.get("ECONNRESET"));
        assertEquals(10054, Errno.WINSOCK.get("ECONNRESET"));
        assertEquals(9, Errno.LINUX.get("EBADF"));
        assertEquals(9, Errno.BSD.get("EBADF"));
        assertEquals(10009, Errno.WINSOCK.get("EBADF"));
        assertEquals(2, Errno.LINUX.get("ENOENT"));
        assertEquals(2, Errno.BSD.get("ENOENT"));
        assertEquals(17, Errno.LINUX.get("EEXIST"));
        assertEquals(17, Errno.BSD.get("EEXIST"));
        assertEquals(4, Errno.LINUX.get("EINTR"));
        assertEquals(4, Errno.BSD.get("EINTR"));
        assertEquals(10004, Errno.WINSOCK.get("EINTR"));
        assertEquals(10038, Errno.WINSOCK.get("ENOTSOCK"));
    }

    @Test
    void runningOsNumbers() {
        switch (Platform.CURRENT) {
            case LINUX -> {
                assertEquals(11, Errno.EAGAIN);
                assertEquals(0x800, Unistd.O_NONBLOCK);
            }
            case MACOS, FREEBSD -> {
                assertEquals(35, Errno.EAGAIN);
                assertEquals(0x4, Unistd.O_NONBLOCK);
            }
            default -> { }
        }
    }
}
