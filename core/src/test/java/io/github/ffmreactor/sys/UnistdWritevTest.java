package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * writev(2) as a connection's gathered write calls it: the iovec layout, several pieces in one
 * call in order, EAGAIN as a value on a full pipe, EBADF, the IOV_MAX bound, and the fault seam
 * (a failed and a shortened writev).
 */
@Timeout(10)
class UnistdWritevTest {
    @AfterEach
    void clear() {
        if (Faults.ENABLED) Faults.clear();
    }

    @Test
    void iovecIsThatOfEvery64BitAbi() {
        assertEquals(16, Unistd.IOVEC.byteSize());
        assertEquals(0, Unistd.IOV_BASE);
        assertEquals(8, Unistd.IOV_LEN);
        assertEquals(1024, Unistd.IOV_MAX);
        assertEquals(Unistd.IOVEC, Mmsg.IOVEC, "one iovec layout for datagrams and streams");
    }

    /** A pipe, {read end, write end}; the caller closes both. */
    private static int[] pipe(Arena a, MemorySegment cs) {
        MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
        assertEquals(0, Unistd.pipe(cs, fds));
        return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
    }

    private static void put(MemorySegment iov, int i, MemorySegment buf, long off, long len) {
        iov.set(ValueLayout.JAVA_LONG, i * 16L + Unistd.IOV_BASE, buf.address() + off);
        iov.set(ValueLayout.JAVA_LONG, i * 16L + Unistd.IOV_LEN, len);
    }

    @Test
    void gathersInOrderAndReportsErrnos() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            int[] p = pipe(a, cs);
            int r = p[0], w = p[1];
            try {
                assertTrue(Unistd.setNonBlockingCloexec(cs, w) >= 0);
                MemorySegment x = a.allocateFrom("hello, ");
                MemorySegment y = a.allocateFrom("gathered world");
                MemorySegment iov = a.allocate(Unistd.IOVEC, 3);
                put(iov, 0, x, 0, 7);
                put(iov, 1, y, 0, 8);
                put(iov, 2, y, 9, 5);
                assertEquals(20, Unistd.writev(cs, w, iov, 3));
                MemorySegment in = a.allocate(64);
                assertEquals(20, Unistd.read(cs, r, in, 0, 64));
                assertEquals("hello, gatheredworld", new String(in.asSlice(0, 20).toArray(ValueLayout.JAVA_BYTE)));
                // A full pipe: EAGAIN as a value, through the captured retry.
                MemorySegment big = a.allocate(1 << 16);
                put(iov, 0, big, 0, big.byteSize());
                while (Unistd.writev(cs, w, iov, 1) > 0) { /* fill */ }
                assertEquals(-Errno.EAGAIN, Unistd.writev(cs, w, iov, 2));
                assertThrows(IllegalArgumentException.class, () -> Unistd.writev(cs, w, iov, 0));
                assertThrows(IllegalArgumentException.class, () -> Unistd.writev(cs, w, iov, 4), "past the iovec array");
                assertThrows(IllegalArgumentException.class, () -> Unistd.writev(cs, w, a.allocate(16L * 1025), 1025));
            } finally {
                Unistd.close(cs, r);
                Unistd.close(cs, w);
            }
            MemorySegment iov = a.allocate(Unistd.IOVEC, 1);
            put(iov, 0, iov, 0, 1);
            assertEquals(-Errno.EBADF, Unistd.writev(cs, w, iov, 1), "a closed fd");
        }
    }

    @Test
    void theFaultSeamFailsAndShortensIt() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS && Faults.ENABLED);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            int[] p = pipe(a, cs);
            int r = p[0], w = p[1];
            try {
                MemorySegment x = a.allocateFrom("abcdef");
                MemorySegment iov = a.allocate(Unistd.IOVEC, 2);
                put(iov, 0, x, 0, 3);
                put(iov, 1, x, 3, 3);
                Faults.fail(Faults.Call.WRITEV, w, 0, Errno.ENOMEM, 1);
                assertEquals(-Errno.ENOMEM, Unistd.writev(cs, w, iov, 2));
                Faults.limit(Faults.Call.WRITEV, w, 0, 2, 1);
                assertEquals(2, Unistd.writev(cs, w, iov, 2), "made short: two bytes of the first iovec");
                assertEquals(3, iov.get(ValueLayout.JAVA_LONG, Unistd.IOV_LEN), "the iovec is as it was");
                assertEquals(6, Unistd.writev(cs, w, iov, 2));
                assertEquals(2, Faults.fired(Faults.Call.WRITEV));
                MemorySegment in = a.allocate(16);
                assertEquals(8, Unistd.read(cs, r, in, 0, 16));
                assertEquals("ababcdef", new String(in.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE)));
            } finally {
                Unistd.close(cs, r);
                Unistd.close(cs, w);
            }
        }
    }
}
