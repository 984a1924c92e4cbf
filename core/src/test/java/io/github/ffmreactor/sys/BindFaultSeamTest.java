package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault seam as {@link Bind} folds it into each kind of handle: the length-limiting rule of
 * read/write (syscall(2) path), a failing rule on an errno-decoding downcall (epoll_ctl, accept,
 * connect, setsockopt), and a rule around a composite Java call (epoll_wait with its errno retry).
 * Each fired rule returns -errno without reaching the kernel; after clear() the real call runs.
 */
class BindFaultSeamTest {
    @AfterEach
    void clear() {
        if (Faults.ENABLED) Faults.clear();
    }

    @Test
    @Timeout(10)
    void readWriteThroughTheHelperAreLimitedAndFailed() {
        assumeTrue(Faults.ENABLED && Platform.CURRENT != Platform.WINDOWS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, Unistd.pipe(cs, fds));
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0), w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                assertTrue(Unistd.setNonBlockingCloexec(cs, r) >= 0);
                MemorySegment buf = a.allocate(64);
                for (int i = 0; i < 64; i++) buf.set(ValueLayout.JAVA_BYTE, i, (byte) i);
                Faults.limit(Faults.Call.WRITE, w, 0, 3, 1);
                assertEquals(3, Unistd.write(cs, w, buf, 10, 10), "write shortened by the rule");
                assertEquals(1, Faults.fired(Faults.Call.WRITE));
                Faults.fail(Faults.Call.READ, r, 0, Errno.EINTR, 1);
                MemorySegment in = a.allocate(64);
                assertEquals(-Errno.EINTR, Unistd.read(cs, r, in, 0, 64), "read failed by the rule");
                assertEquals(3, Unistd.read(cs, r, in, 0, 64), "the kernel really moved 3 bytes");
                for (int i = 0; i < 3; i++) assertEquals((byte) (10 + i), in.get(ValueLayout.JAVA_BYTE, i));
                Faults.fail(Faults.Call.READ, w + 1000, 0, Errno.EPERM, 1);
                assertEquals(-Errno.EAGAIN, Unistd.read(cs, r, in, 0, 64), "a rule for another fd does not fire");
            } finally {
                Unistd.close(cs, r);
                Unistd.close(cs, w);
            }
        }
    }

    @Test
    @Timeout(10)
    void epollCtlAndWaitThroughTheHelperFail() {
        assumeTrue(Faults.ENABLED && Epoll.available());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            int ep = Epoll.create1(cs, Epoll.EPOLL_CLOEXEC);
            assertTrue(ep >= 0);
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, Unistd.pipe(cs, fds));
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0), w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                MemorySegment scratch = a.allocate(Epoll.EVENT);
                MemorySegment events = a.allocate(Epoll.EVENT_SIZE * 4);
                Faults.fail(Faults.Call.CTL, r, 0, Errno.ENOMEM, 1);
                assertEquals(-Errno.ENOMEM, Epoll.ctl(cs, ep, Epoll.EPOLL_CTL_ADD, r, Epoll.EPOLLIN, 7, scratch));
                assertEquals(0, Epoll.ctl(cs, ep, Epoll.EPOLL_CTL_ADD, r, Epoll.EPOLLIN, 7, scratch), "rule spent");
                Faults.fail(Faults.Call.WAIT, ep, 0, Errno.EBADF, 2);
                assertEquals(-Errno.EBADF, Epoll.wait(cs, ep, events, 4, 0), "timeout 0 path");
                assertEquals(-Errno.EBADF, Epoll.wait(cs, ep, events, 4, 50), "blocking path");
                assertEquals(0, Epoll.wait(cs, ep, events, 4, 0), "rule spent, nothing ready");
                assertEquals(2, Faults.fired(Faults.Call.WAIT));
            } finally {
                Unistd.close(cs, r);
                Unistd.close(cs, w);
                Unistd.close(cs, ep);
            }
        }
    }

    @Test
    @Timeout(10)
    void socketCallsThroughTheHelperFail() {
        assumeTrue(Faults.ENABLED && Platform.CURRENT != Platform.WINDOWS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            // fd -1 would make the kernel answer EBADF: the rule's errno proves the kernel was never asked.
            Faults.fail(Faults.Call.CONNECT, Faults.ANY_FD, 0, Errno.ECONNREFUSED, 1);
            assertEquals(-Errno.ECONNREFUSED, Sockets.connect(cs, -1, MemorySegment.NULL, 0));
            assertEquals(-Errno.EBADF, Sockets.connect(cs, -1, MemorySegment.NULL, 0), "rule spent: the kernel answers");
            Faults.fail(Faults.Call.ACCEPT, -1, 0, Errno.EMFILE, 1);
            int got = Sockets.hasAccept4()
                    ? Sockets.accept4(cs, -1, MemorySegment.NULL, MemorySegment.NULL, 0)
                    : Sockets.accept(cs, -1, MemorySegment.NULL, MemorySegment.NULL);
            assertEquals(-Errno.EMFILE, got);
            Faults.fail(Faults.Call.SETSOCKOPT, -1, 0, Errno.ENOBUFS, 1);
            assertEquals(-Errno.ENOBUFS, Sockets.setsockopt(cs, -1, 0, 0, MemorySegment.NULL, 0));
        }
    }
}
