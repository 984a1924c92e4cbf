package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's CPU time from {@code /proc/<pid>/stat}: utime and stime (fields 14 and 15), summed
 * over all its threads, in clock ticks (USER_HZ, 100 on every Linux the bench targets).
 */
record ProcCpu(long userNanos, long systemNanos) {
    /** USER_HZ: the kernel reports /proc times in 1/100 s on x86_64 and aarch64 Linux. */
    static final long TICK_NANOS = 10_000_000L;

    static ProcCpu of(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state), so field 14 is f[11] and field 15 is f[12].
        return new ProcCpu(Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS);
    }

    static ProcCpu ofOrNull(long pid) {
        try {
            return of(pid);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    ProcCpu minus(ProcCpu o) {
        return new ProcCpu(userNanos - o.userNanos, systemNanos - o.systemNanos);
    }
}
