package io.github.ffmreactor.testutil;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What Linux's /proc says about another process: its open fds, its RSS, its threads' CPU time. */
public final class Proc {
    private Proc() {}

    /** Clock ticks per second of the utime/stime fields (USER_HZ; 100 on every Linux we know). */
    private static final long TICKS_PER_SECOND = ticksPerSecond();

    /** Open fds of {@code pid}; -1 once it is gone. */
    public static int fds(long pid) {
        String[] s = new File("/proc/" + pid + "/fd").list();
        return s == null ? -1 : s.length;
    }

    /** Resident set size of {@code pid} in KiB (VmRSS); -1 once it is gone. */
    public static long rssKiB(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** User plus system CPU time (ms) of the threads of {@code pid} whose name {@code select} accepts. */
    public static long threadCpuMillis(long pid, java.util.function.Predicate<String> select) {
        File[] tasks = new File("/proc/" + pid + "/task").listFiles();
        if (tasks == null) return -1;
        long ticks = 0;
        for (File t : tasks) {
            try {
                if (!select.test(Files.readString(t.toPath().resolve("comm")).strip())) continue;
                ticks += cpuTicks(Files.readString(t.toPath().resolve("stat")));
            } catch (IOException e) {
                // the thread ended between the listing and the read: it uses no more CPU
            }
        }
        return ticks * 1000 / TICKS_PER_SECOND;
    }

    /** utime + stime from a stat line: fields 14 and 15, counted after the parenthesised name. */
    static long cpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state), so field n is f[n - 3].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long ticksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return Long.parseLong(s);
        } catch (Exception e) {
            return 100;
        }
    }
}
