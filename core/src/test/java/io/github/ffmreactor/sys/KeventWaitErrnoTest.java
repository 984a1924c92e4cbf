package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kevent's wait is called without errno capture, and a failed wait is asked again with a zero
 * timeout and errno captured. Made to fail for real where kqueue runs (macOS, BSD, or libkqueue
 * through -Dffmreactor.kqueue.library): a closed kqueue is EBADF, which stays true, from the
 * blocking and from the zero-timeout wait.
 */
class KeventWaitErrnoTest {
    @Test
    @Timeout(10)
    void ebadfFromBothTheBlockingAndTheZeroTimeoutWait() {
        assumeTrue(Kqueue.available(), "no kqueue here (macOS/BSD, or -Dffmreactor.kqueue.library under Linux)");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            MemorySegment events = a.allocate(Kqueue.EVENT_SIZE * 4, 8);
            MemorySegment timeout = a.allocate(Kqueue.TIMESPEC_SIZE, 8), zero = a.allocate(Kqueue.TIMESPEC_SIZE, 8);
            timeout.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 50_000_000L); // 50 ms
            int kq = Kqueue.kqueue(cs);
            assertEquals(0, Kqueue.kevent(cs, kq, MemorySegment.NULL, 0, events, 4, timeout, true),
                    "an empty kqueue's wait times out");
            Kqueue.closeKqueue(cs, kq);
            int blocking = Kqueue.kevent(cs, kq, MemorySegment.NULL, 0, events, 4, timeout, true);
            int now = Kqueue.kevent(cs, kq, MemorySegment.NULL, 0, events, 4, zero, false);
            // A real kqueue answers EBADF; libkqueue ENOENT (its lookup of the kqueue fails): the
            // same from both handles either way, since the retry captures what the first call met.
            assertEquals(Kqueue.EMULATED ? -Errno.ENOENT : -Errno.EBADF, blocking, "blocking");
            assertEquals(blocking, now, "not blocking");
        }
    }
}
