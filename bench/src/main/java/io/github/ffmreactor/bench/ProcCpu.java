package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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
record ProcCpu(long userNanos, long systemNanos, long runNanos, Map<Long, long[]> threads) {
    ProcCpu(long userNanos, long systemNanos, long runNanos) {
        this(userNanos, systemNanos, runNanos, Map.of());
    }

    /** USER_HZ: /proc times are in 1/100 s on x86_64 and aarch64 Linux. */
    static final long TICK_NANOS = 10_000_000L;

    static ProcCpu of(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ", -1);
        // f[0] is field 3 (state), so field 14 is f[11] and field 15 is f[12].
        Map<Long, long[]> threads = threads(pid);
        long run = 0;
        for (long[] t : threads.values()) run += t[2];
        return new ProcCpu(Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS,
                threads.isEmpty() ? -1 : run, threads);
    }

    /** Per thread id: {utime ns, stime ns, run ns}. */
    static Map<Long, long[]> threads(long pid) {
        Map<Long, long[]> m = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks) {
                try {
                    String st = Files.readString(t.resolve("stat"));
                    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ", -1);
                    long run = sumExecRuntime(t.resolve("sched"));
                    m.put(Long.parseLong(t.getFileName().toString()),
                            new long[] {Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS, run});
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return m;
    }

    static long sumExecRuntime(Path sched) throws IOException {
        for (String l : Files.readAllLines(sched)) {
            if (!l.startsWith("se.sum_exec_runtime")) continue;
            String v = l.substring(l.indexOf(':') + 1).trim();
            int dot = v.indexOf('.');
            long ms = Long.parseLong(v.substring(0, dot));
            String frac = (v.substring(dot + 1) + "000000").substring(0, 6);
            return ms * 1_000_000L + Long.parseLong(frac);
        }
        return 0;
    }

    /**
     * The busiest thread's {utime, stime, run} between {@code before} and this sample: for a
     * one-loop server, its event-loop thread. The rest of the process (JIT, GC, ...) is the difference.
     */
    long[] busiestThreadSince(ProcCpu before) {
        long[] best = {0, 0, 0};
        for (var e : threads.entrySet()) {
            long[] b = before.threads.getOrDefault(e.getKey(), new long[3]);
            long[] a = e.getValue();
            long[] d = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
            if (d[2] > best[2]) best = d;
        }
        return best;
    }

    static ProcCpu ofOrNull(long pid) {
        try {
            return of(pid);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The difference as totals; per-thread detail is not kept (see {@link #busiestThreadSince}). */
    ProcCpu minus(ProcCpu o) {
        return new ProcCpu(userNanos - o.userNanos, systemNanos - o.systemNanos,
                runNanos < 0 || o.runNanos < 0 ? -1 : runNanos - o.runNanos);
    }

    ProcCpu plus(ProcCpu o) {
        return new ProcCpu(userNanos + o.userNanos, systemNanos + o.systemNanos,
                runNanos < 0 || o.runNanos < 0 ? -1 : runNanos + o.runNanos);
    }
}
