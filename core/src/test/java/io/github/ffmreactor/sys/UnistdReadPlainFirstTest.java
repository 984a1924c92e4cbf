package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.poll.Poller;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Unistd#readPlainFirst}, the loop's read after readiness without an error: the read that
 * succeeds goes through the handle without errno capture, a failed one is asked again with capture.
 * Data, EAGAIN and end of stream come out as from {@link Unistd#read}; a reset, whose errno the
 * first read consumes, reads as end of stream (the documented cost), where {@code read} says
 * ECONNRESET. Over TCP on 127.0.0.1: a peer that closes with unread input sends a reset.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnistdReadPlainFirstTest {
    static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** A connected pair over loopback: {client, server}. */
    private static int[] pair(MemorySegment cs, int l) throws Exception {
        int c = Tcp.connect(Tcp.localAddress(l));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int s;
        while ((s = SocketIo.accept(cs, l)) == -Errno.EAGAIN) {
            assertTrue(System.nanoTime() < deadline, "accept timed out");
            Thread.onSpinWait();
        }
        assertTrue(s >= 0, "accept: " + Errno.name(-s));
        return new int[] {c, s};
    }

    /** Waits until the poller reports {@code fd} (readable, hung up or failed). */
    private static int awaitReady(int fd) throws Exception {
        try (Poller p = Poller.open()) {
            p.register(fd, Poller.READ, Trigger.LEVEL, 1);
            assertEquals(1, p.poll(10_000), "fd " + fd + " not reported");
            int ready = p.ready(0);
            p.deregister(fd);
            return ready;
        }
    }

    @Test
    void sameAnswersAsReadButResetReadsAsEndOfStream() throws Exception {
        if (Platform.CURRENT == Platform.WINDOWS) return;
        MemorySegment cs = Native.threadCallState();
        int l = Tcp.listen(ANY_LOOPBACK, 8, false);
        int[] p1 = null, p2 = null, p3 = null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(64);
            p1 = pair(cs, l);
            assertEquals(-Errno.EAGAIN, Unistd.readPlainFirst(cs, p1[1], buf, 0, 64), "empty: EAGAIN through the captured retry");
            buf.setString(0, "ping");
            assertEquals(4, Unistd.write(cs, p1[0], buf, 0, 4));
            awaitReady(p1[1]);
            MemorySegment in = a.allocate(64);
            assertEquals(4, Unistd.readPlainFirst(cs, p1[1], in, 3, 61), "data, at an offset");
            assertEquals("ping", in.getString(3));
            Tcp.shutdownOutput(p1[0]);
            awaitReady(p1[1]);
            assertEquals(0, Unistd.readPlainFirst(cs, p1[1], in, 0, 64), "end of stream");

            // A reset: the client end closes with an unread byte, so the server end is reset.
            p2 = pair(cs, l);
            p3 = pair(cs, l);
            for (int[] p : new int[][] {p2, p3}) {
                assertEquals(1, Unistd.write(cs, p[1], buf, 0, 1));
                awaitReady(p[0]);
                assertEquals(0, Unistd.close(cs, p[0]));
                p[0] = -1;
                int ready = awaitReady(p[1]);
                assertTrue((ready & Poller.ERROR) != 0, "the reset is reported as an error: " + ready);
            }
            assertEquals(-Errno.ECONNRESET, Unistd.read(cs, p2[1], in, 0, 64), "captured read: the reset");
            assertEquals(0, Unistd.read(cs, p2[1], in, 0, 64), "and then end of stream: asking again loses it");
            long r = Unistd.readPlainFirst(cs, p3[1], in, 0, 64);
            if (Unistd.SYS_READ >= 0) {
                assertEquals(0, r, "plain first: the first read took the reset, the captured retry reads end of stream");
            } else {
                assertEquals(-Errno.ECONNRESET, r, "without syscall(2) readPlainFirst is read");
            }
        } finally {
            for (int[] p : new int[][] {p1, p2, p3}) {
                if (p == null) continue;
                for (int fd : p) if (fd >= 0) Unistd.close(cs, fd);
            }
            Unistd.close(cs, l);
        }
    }
}
