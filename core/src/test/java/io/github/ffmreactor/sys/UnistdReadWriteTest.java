package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * read/write as the hot path calls them (on Linux x86_64/aarch64 through syscall(2), elsewhere
 * through libc): data both ways at an offset, EAGAIN on an empty non-blocking pipe, 0 at end of
 * stream, EBADF for a closed fd, and errno captured for each.
 */
class UnistdReadWriteTest {
    @Test
    @Timeout(10)
    void readWriteResultsAndErrnos() {
        if (Platform.CURRENT == Platform.WINDOWS) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, Unistd.pipe(cs, fds));
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0), w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                assertTrue(Unistd.setNonBlockingCloexec(cs, r) >= 0);
                MemorySegment buf = a.allocate(64);
                assertEquals(-Errno.EAGAIN, Unistd.read(cs, r, buf, 0, 64), "empty non-blocking pipe");
                for (int i = 0; i < 64; i++) buf.set(ValueLayout.JAVA_BYTE, i, (byte) i);
                assertEquals(10, Unistd.write(cs, w, buf, 20, 10));
                MemorySegment in = a.allocate(64);
                assertEquals(10, Unistd.read(cs, r, in, 5, 64 - 5));
                for (int i = 0; i < 10; i++) assertEquals((byte) (20 + i), in.get(ValueLayout.JAVA_BYTE, 5 + i));
                // A full pipe: the uncaptured write fails, the captured retry says EAGAIN; drained,
                // the next write succeeds first time. A pipe with no reader: EPIPE (SIGPIPE is
                // ignored by the JVM), through the same retry.
                assertTrue(Unistd.setNonBlockingCloexec(cs, w) >= 0);
                MemorySegment big = a.allocate(1 << 16);
                long filled = 0;
                for (long n; (n = Unistd.write(cs, w, big, 0, big.byteSize())) > 0; ) filled += n;
                assertEquals(-Errno.EAGAIN, Unistd.write(cs, w, buf, 0, 8), "full non-blocking pipe");
                for (long n; filled > 0 && (n = Unistd.read(cs, r, big, 0, big.byteSize())) > 0; ) filled -= n;
                assertEquals(8, Unistd.write(cs, w, buf, 0, 8), "drained pipe");
                assertEquals(8, Unistd.read(cs, r, in, 0, 64));
                assertEquals(0, Unistd.close(cs, w));
                w = -1;
                assertEquals(0, Unistd.read(cs, r, in, 0, 64), "end of stream");
                assertEquals(0, Unistd.pipe(cs, fds));
                int r2 = fds.getAtIndex(ValueLayout.JAVA_INT, 0), w2 = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
                assertEquals(0, Unistd.close(cs, r2));
                assertEquals(-Errno.EPIPE, Unistd.write(cs, w2, buf, 0, 8), "pipe with no reader");
                assertEquals(0, Unistd.close(cs, w2));
            } finally {
                Unistd.close(cs, r);
                if (w >= 0) Unistd.close(cs, w);
            }
            MemorySegment buf = a.allocate(8);
            assertEquals(-Errno.EBADF, Unistd.read(cs, r, buf, 0, 8), "read on a closed fd");
            assertEquals(-Errno.EBADF, Unistd.write(cs, r, buf, 0, 8), "write on a closed fd");
            if (Platform.CURRENT == Platform.LINUX && (Platform.ARCH.equals("x86_64") || Platform.ARCH.equals("aarch64"))) {
                assertTrue(Unistd.SYS_READ >= 0 && Unistd.SYS_WRITE >= 0, "syscall(2) path in use");
            }
        }
    }
}
