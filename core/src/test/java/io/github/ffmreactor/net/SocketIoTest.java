package io.github.ffmreactor.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The net layer's socket facade. The handle checks are pure and run everywhere; the calls run
 * through the running OS's branch (POSIX here, Winsock on a Windows runner) over 127.0.0.1.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SocketIoTest {
    static final SocketConsts C = SocketConsts.CURRENT;
    static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Test
    void windowsFlagIsTheRunningOs() {
        assertEquals(Platform.CURRENT == Platform.WINDOWS, SocketIo.WINDOWS);
    }

    @Test
    void handlesWithin31BitsTravelAsInts() {
        // Kernel handles are multiples of 4 below the per-process limit; these are typical values.
        for (long s : new long[] {0, 4, 0x1a4, 0x2b8, 0xfffffc, Integer.MAX_VALUE}) {
            assertTrue(SocketIo.fitsInFd(s), Long.toHexString(s));
            assertEquals(s, SocketIo.socketOf((int) s), "zero-extended back, as WinSelectPoller reads it");
        }
        // INVALID_SOCKET (~0), the 32nd bit (would be a negative int: the loop's "closed"), and
        // beyond 32 bits (would be truncated to another handle's number) are all refused.
        for (long s : new long[] {-1L, 0x8000_0000L, 0xffff_fffcL, 0x1_0000_0010L, Long.MAX_VALUE}) {
            assertFalse(SocketIo.fitsInFd(s), Long.toHexString(s));
        }
    }

    @Test
    void refusalNamesTheHandle() {
        String m = SocketIo.tooLarge("accept", 0x1_0000_0010L);
        assertEquals("accept: SOCKET handle 0x100000010 (4294967312) does not fit in 31 bits,"
                + " which the loop's int fds carry; it was closed", m);
        assertTrue(SocketIo.tooLarge("WSASocketW", -1L).contains("0xffffffffffffffff (18446744073709551615)"));
    }

    @Test
    void acceptCallNameMatchesThePlatform() {
        String want = Platform.CURRENT == Platform.LINUX || Platform.CURRENT == Platform.FREEBSD ? "accept4" : "accept";
        assertEquals(want, SocketIo.ACCEPT_CALL);
    }

    @Test
    void streamLifecycleOverLoopback() throws Exception {
        MemorySegment cs = Native.threadCallState();
        int l = Tcp.listen(new InetSocketAddress(LOOPBACK, 0), 8, false);
        int c = -1, s = -1;
        try (Arena a = Arena.ofConfined()) {
            assertEquals(-Errno.EAGAIN, SocketIo.accept(cs, l), "nothing pending: EAGAIN, not an exception");
            InetSocketAddress bound = Tcp.localAddress(l);
            assertTrue(bound.getPort() > 0);

            c = SocketIo.socket(cs, C.AF_INET(), C.SOCK_STREAM());
            MemorySegment sa = a.allocate(128, 8);
            int len = Tcp.encode(bound, sa);
            int r = SocketIo.connect(cs, c, sa, len);
            assertTrue(r == 0 || r == -Errno.EINPROGRESS, "connect: " + Errno.name(-r));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((s = SocketIo.accept(cs, l)) == -Errno.EAGAIN) {
                assertTrue(System.nanoTime() < deadline, "accept timed out");
                Thread.onSpinWait();
            }
            assertTrue(s >= 0, "accept: " + Errno.name(-s));
            assertEquals(0, Tcp.soError(c));
            assertEquals(Tcp.localAddress(c), Tcp.remoteAddress(s));
            assertEquals(Tcp.localAddress(s), Tcp.remoteAddress(c));

            MemorySegment buf = a.allocate(64);
            assertEquals(-Errno.EAGAIN, SocketIo.read(cs, s, buf, 0, 64), "empty non-blocking socket");
            buf.setString(0, "ping!");
            assertEquals(5, SocketIo.write(cs, c, buf, 0, 5));
            long got = 0;
            MemorySegment in = a.allocate(64);
            while (got < 5) {
                long n = SocketIo.read(cs, s, in, got, 64 - got);
                if (n == -Errno.EAGAIN) {
                    assertTrue(System.nanoTime() < deadline, "read timed out");
                    Thread.onSpinWait();
                    continue;
                }
                assertTrue(n > 0, "read: " + n);
                got += n;
            }
            assertEquals("ping!", in.getString(0));

            Tcp.shutdownOutput(c);
            long n;
            while ((n = SocketIo.read(cs, s, in, 0, 64)) == -Errno.EAGAIN) {
                assertTrue(System.nanoTime() < deadline, "FIN not seen");
                Thread.onSpinWait();
            }
            assertEquals(0, n, "end of stream after the peer's shutdown");

            if (!SocketIo.WINDOWS) {
                // POSIX: both ends non-blocking and close-on-exec from birth.
                for (int fd : new int[] {c, s, l}) {
                    assertTrue((Unistd.fcntl(cs, fd, Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK) != 0, "O_NONBLOCK " + fd);
                    assertEquals(Unistd.FD_CLOEXEC, Unistd.fcntl(cs, fd, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC, "FD_CLOEXEC " + fd);
                }
            }
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, 1);
            assertEquals(0, SocketIo.setsockopt(cs, s, C.IPPROTO_TCP(), C.TCP_NODELAY(), v, 4));
            assertNotEquals(0, Tcp.getIntOption(s, C.IPPROTO_TCP(), C.TCP_NODELAY(), "getsockopt(TCP_NODELAY)"));
        } finally {
            if (s >= 0) assertEquals(0, SocketIo.close(Native.threadCallState(), s));
            if (c >= 0) assertEquals(0, SocketIo.close(Native.threadCallState(), c));
            Fds.close(l);
        }
    }

    @Test
    void connectToAClosedPortFailsThroughThePollerAndSoError() throws Exception {
        // The loop's connect path, without the loop: EINPROGRESS now; then the default poller
        // reports the socket (on Windows through select's exceptfds, as WRITE|ERROR) and
        // SO_ERROR says why.
        int port;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, LOOPBACK)) {
            port = ss.getLocalPort();
        }
        MemorySegment cs = Native.threadCallState();
        int c = SocketIo.socket(cs, C.AF_INET(), C.SOCK_STREAM());
        try (Arena a = Arena.ofConfined(); Poller p = Poller.open()) {
            MemorySegment sa = a.allocate(128, 8);
            int len = Tcp.encode(new InetSocketAddress(LOOPBACK, port), sa);
            int r = SocketIo.connect(cs, c, sa, len);
            if (r == -Errno.ECONNREFUSED) return; // refused at once: also a correct report
            assertEquals(-Errno.EINPROGRESS, r, "connect: " + Errno.name(-r));
            p.register(c, Poller.WRITE, Trigger.LEVEL, 7);
            // Windows retries a refused SYN for about two seconds before it gives up.
            int n = p.poll(15_000);
            assertEquals(1, n, "the failed connect is reported");
            assertEquals(7, p.token(0));
            assertTrue((p.ready(0) & (Poller.WRITE | Poller.ERROR | Poller.HANGUP)) != 0, "ready bits " + p.ready(0));
            assertEquals("ECONNREFUSED", Errno.name(Tcp.soError(c)));
            p.deregister(c);
        } finally {
            Fds.close(c);
        }
    }

    /** What the loop asks of net instead of testing the OS: the call names and accept's extra skippable errno. */
    @Test
    void thePlatformChoicesTheLoopUses() {
        boolean windows = Platform.CURRENT == Platform.WINDOWS;
        assertEquals(windows ? "recv" : "read", SocketIo.READ_CALL);
        assertEquals(windows ? "send" : "write", SocketIo.WRITE_CALL);
        assertEquals(windows, SocketIo.acceptRetryable(Errno.ECONNRESET));
        assertFalse(SocketIo.acceptRetryable(Errno.EAGAIN));
        assertFalse(SocketIo.acceptRetryable(Errno.EMFILE));
    }
}
