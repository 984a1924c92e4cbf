package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's CPU time, two ways.
 *
 * <ul>
 *   <li>{@code userNanos}/{@code systemNanos}: utime and stime from {@code /proc/<pid>/stat}
 *       (fields 14 and 15, all threads, in USER_HZ ticks). Without hardware counters or
 *       VIRT_CPU_ACCOUNTING the kernel splits user from system by sampling at each tick, so the
 *       split is only as good as the number of ticks in the window: measure for seconds.
 *   <li>{@code runNanos}: the sum over the process's threads of {@code se.sum_exec_runtime} from
 *       {@code /proc/<pid>/task/<tid>/sched}: the scheduler's exact run time, nanosecond precise
 *       (threads that exited during the window are missed; the servers start none).
 * </ul>
 */
record ProcCpu(long userNanos, long systemNanos, long runNanos) {
    /** USER_HZ: /proc times are in 1/100 s on x86_64 and aarch64 Linux. */
    static final long TICK_NANOS = 10_000_000L;

    static ProcCpu of(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state), so field 14 is f[11] and field 15 is f[12].
        return new ProcCpu(Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS, runNanos(pid));
    }

    /** Sum of se.sum_exec_runtime (milliseconds with 6 decimals) over the threads; -1 if unreadable. */
    static long runNanos(long pid) {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks) {
                try {
                    for (String l : Files.readAllLines(t.resolve("sched"))) {
                        if (!l.startsWith("se.sum_exec_runtime")) continue;
                        String v = l.substring(l.indexOf(':') + 1).trim();
                        int dot = v.indexOf('.');
                        long ms = Long.parseLong(v.substring(0, dot));
                        String frac = (v.substring(dot + 1) + "000000").substring(0, 6);
                        sum += ms * 1_000_000L + Long.parseLong(frac);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }

    static ProcCpu ofOrNull(long pid) {
        try {
            return of(pid);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    ProcCpu minus(ProcCpu o) {
        return new ProcCpu(userNanos - o.userNanos, systemNanos - o.systemNanos,
                runNanos < 0 || o.runNanos < 0 ? -1 : runNanos - o.runNanos);
    }

    ProcCpu plus(ProcCpu o) {
        return new ProcCpu(userNanos + o.userNanos, systemNanos + o.systemNanos,
                runNanos < 0 || o.runNanos < 0 ? -1 : runNanos + o.runNanos);
    }
}
