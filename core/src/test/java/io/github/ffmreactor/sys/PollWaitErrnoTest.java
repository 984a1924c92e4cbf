package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * poll(2) is called without errno capture, and a failed wait is asked again at timeout 0 with
 * errno captured. Made to fail for real: more entries than RLIMIT_NOFILE is EINVAL, which stays
 * true, so it must come back as such from the zero-timeout and from the blocking call.
 */
@EnabledOnOs(OS.LINUX)
class PollWaitErrnoTest {
    @Test
    @Timeout(10)
    void einvalFromBothTheBlockingAndTheZeroTimeoutWait() throws Exception {
        long limit = openFilesLimit();
        int nfds = (int) Math.min(Integer.MAX_VALUE / Poll.POLLFD_SIZE - 1, limit + 1);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            MemorySegment fds = a.allocate(nfds * Poll.POLLFD_SIZE, 8);
            for (int i = 0; i < nfds; i++) Poll.set(fds, i, -1, Poll.POLLIN); // negative fds are ignored
            assertEquals(-Errno.EINVAL, Poll.poll(cs, fds, nfds, 0), "timeout 0, " + nfds + " entries over the limit " + limit);
            assertEquals(-Errno.EINVAL, Poll.poll(cs, fds, nfds, 50), "blocking");
            // Within the limit the same array is a plain wait that times out.
            assertEquals(0, Poll.poll(cs, fds, 1, 0));
        }
    }

    /** The soft RLIMIT_NOFILE, from /proc/self/limits. */
    private static long openFilesLimit() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
        }
        throw new IllegalStateException("no 'Max open files' in /proc/self/limits");
    }
}
