package io.github.ffmreactor.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A server's kernel crossings per round trip: every system call its threads enter, and of those
 * the {@code io_uring_enter} calls, counted over a window of its own (never the CPU window: even a
 * counting tracepoint puts every syscall on the kernel's slower traced entry path).
 *
 * <p>The counter, in order of preference ({@code -Dffmreactor.bench.syscalls=perf|strace|none}
 * forces one):
 * <ul>
 *   <li>{@code perf}: {@code perf stat} on the {@code raw_syscalls:sys_enter} and
 *       {@code syscalls:sys_enter_io_uring_enter} tracepoints of every thread of the process, started
 *       disabled and switched on and off through its control FIFO ({@code --control fifo:ctl,ack}),
 *       so the counted span and the round trips counted beside it agree to an ack's latency.
 *       Counting, not sampling: it barely slows the server. Needs tracepoint access (root, or
 *       {@code perf_event_paranoid} and tracefs permissions that allow it).
 *   <li>{@code strace}: {@code strace -c -f} attached over the window (ptrace: it slows the server
 *       several-fold, so more work gathers per call and the counts of a batching server come out low;
 *       the round trips are counted from just before attaching to just after detaching).
 * </ul>
 * Threads the process starts during the window are not counted by perf (the echo servers start none
 * once serving).
 */
final class Syscalls {
    private Syscalls() {}

    static final String PROPERTY = "ffmreactor.bench.syscalls";
    static final String ALL_EVENT = "raw_syscalls:sys_enter";
    /** Present wherever the kernel was built with io_uring (the probe asks for both). */
    static final String URING_EVENT = "syscalls:sys_enter_io_uring_enter";

    /** What one window counted: all syscalls, io_uring_enter among them, and the round trips in it. */
    record Count(String tool, long syscalls, long uringEnters, double roundTrips) {
        double perRoundTrip() {
            return roundTrips <= 0 ? Double.NaN : syscalls / roundTrips;
        }

        double uringEntersPerRoundTrip() {
            return roundTrips <= 0 ? Double.NaN : uringEnters / roundTrips;
        }

        String summary() {
            return String.format(Locale.ROOT, "kernel crossings per round trip (%s, %,.0f round trips): syscalls=%.3f io_uring_enter=%.3f",
                    tool, roundTrips, perRoundTrip(), uringEntersPerRoundTrip());
        }
    }

    private static volatile String tool;

    /** The counter this machine allows: "perf", "strace" or "none" (probed once). */
    static String tool() {
        String t = tool;
        if (t == null) {
            String forced = System.getProperty(PROPERTY, "").trim();
            t = switch (forced) {
                case "perf", "strace", "none" -> forced;
                default -> perfWorks() ? "perf" : Strace.available() ? "strace" : "none";
            };
            tool = t;
        }
        return t;
    }

    /** Whether {@code perf stat} may count the syscall tracepoints here (it runs {@code true} once). */
    static boolean perfWorks() {
        try {
            Process p = new ProcessBuilder("perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-e", URING_EVENT,
                    "--", "true").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            Long n = parsePerf(List.of(out.split("\n"))).get(ALL_EVENT);
            return p.exitValue() == 0 && n != null && n > 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Counts {@code pid}'s syscalls over {@code window} while the load keeps running;
     * {@code roundTrips} reads the load's completed round trips. Null where no counter works.
     */
    static Count window(long pid, Duration window, LongSupplier roundTrips) throws IOException, InterruptedException {
        return switch (tool()) {
            case "perf" -> perf(pid, window, roundTrips);
            case "strace" -> strace(pid, window, roundTrips);
            default -> null;
        };
    }

    static Count strace(long pid, Duration window, LongSupplier roundTrips) throws IOException, InterruptedException {
        long a = roundTrips.getAsLong();
        try (Strace st = Strace.attach(pid)) {
            Thread.sleep(window.toMillis());
            Map<String, Long> calls = st.stop();
            long b = roundTrips.getAsLong();
            long total = 0;
            for (long n : calls.values()) total += n;
            return new Count("strace", total, calls.getOrDefault("io_uring_enter", 0L), b - a);
        }
    }

    static Count perf(long pid, Duration window, LongSupplier roundTrips) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("ffmreactor-perf-");
        Path ctl = dir.resolve("ctl"), ack = dir.resolve("ack"), out = dir.resolve("out.csv"), err = dir.resolve("err.txt");
        Process perf = null;
        Acks acks = null;
        try {
            for (Path f : new Path[] {ctl, ack}) {
                Process m = new ProcessBuilder("mkfifo", f.toString()).redirectErrorStream(true).start();
                if (!m.waitFor(10, TimeUnit.SECONDS) || m.exitValue() != 0) throw new IOException("mkfifo " + f + " failed");
            }
            // O_RDWR on a FIFO never blocks on Linux, whether or not perf has opened its end yet.
            try (RandomAccessFile c = new RandomAccessFile(ctl.toFile(), "rw")) {
                acks = new Acks(new RandomAccessFile(ack.toFile(), "rw"));
                perf = new ProcessBuilder("perf", "stat", "-x", ",", "-e", ALL_EVENT, "-e", URING_EVENT, "--delay", "-1",
                        "--control", "fifo:" + ctl + "," + ack, "-o", out.toString(), "-p", Long.toString(pid))
                        .redirectErrorStream(true).redirectOutput(err.toFile()).start();
                long a0 = roundTrips.getAsLong();
                c.write("enable\n".getBytes(StandardCharsets.US_ASCII));
                if (!acks.await(Duration.ofSeconds(10), perf)) throw new IOException("perf stat did not enable its counters: " + exited(perf, err));
                long a1 = roundTrips.getAsLong();
                Thread.sleep(window.toMillis());
                long b0 = roundTrips.getAsLong();
                c.write("disable\n".getBytes(StandardCharsets.US_ASCII));
                if (!acks.await(Duration.ofSeconds(10), perf)) throw new IOException("perf stat did not disable its counters: " + exited(perf, err));
                long b1 = roundTrips.getAsLong();
                // SIGINT: perf stat -p writes its counts and exits (SIGTERM would lose them).
                Process k = new ProcessBuilder("kill", "-INT", Long.toString(perf.pid())).start();
                k.waitFor(10, TimeUnit.SECONDS);
                if (!perf.waitFor(10, TimeUnit.SECONDS)) throw new IOException("perf stat did not end on SIGINT");
                Map<String, Long> n = parsePerf(Files.readAllLines(out));
                Long all = n.get(ALL_EVENT);
                if (all == null) throw new IOException("perf stat counted nothing: " + String.join(" | ", Files.readAllLines(out)));
                // The counted span lies between the two readings at each end: take their middles.
                return new Count("perf", all, n.getOrDefault(URING_EVENT, 0L),
                        (b0 + b1) / 2.0 - (a0 + a1) / 2.0);
            }
        } finally {
            if (perf != null && perf.isAlive()) {
                perf.destroyForcibly();
                perf.waitFor(5, TimeUnit.SECONDS);
            }
            if (acks != null) acks.close();
            for (Path f : new Path[] {ctl, ack, out, err}) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        }
    }

    private static String exited(Process p, Path err) throws IOException, InterruptedException {
        if (p.isAlive()) return "no ack after 10 s";
        p.waitFor();
        String said = Files.readString(err).strip().replace('\n', ' ');
        return "perf exited with status " + p.exitValue() + (said.isEmpty() ? "" : ": " + said);
    }

    /**
     * perf stat's CSV ({@code -x ,}): value, unit, event, run time, percentage... per line; a
     * {@code <not counted>} or {@code <not supported>} value reads as 0 and -1.
     */
    static Map<String, Long> parsePerf(List<String> lines) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String l : lines) {
            String[] f = l.split(",", -1);
            if (f.length < 3 || l.startsWith("#")) continue;
            String v = f[0].trim();
            long n;
            if (v.equals("<not counted>")) n = 0;
            else if (v.equals("<not supported>")) n = -1;
            else {
                try {
                    n = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    continue;
                }
            }
            m.put(f[2].trim(), n);
        }
        m.values().removeIf(n -> n < 0);
        return m;
    }

    /** perf's acks ("ack\n\0" per command) read on a thread of their own, so waiting has a timeout. */
    private static final class Acks {
        private final RandomAccessFile f;
        private final BlockingQueue<Boolean> q = new LinkedBlockingQueue<>();
        private volatile boolean closing;
        private final Thread reader;

        Acks(RandomAccessFile f) {
            this.f = f;
            this.reader = Thread.ofPlatform().daemon().name("perf-acks").start(this::read);
        }

        private void read() {
            byte[] b = new byte[64];
            StringBuilder s = new StringBuilder();
            try {
                while (!closing) {
                    int n = f.read(b);
                    if (n < 0) return;
                    s.append(new String(b, 0, n, StandardCharsets.US_ASCII));
                    for (int i; (i = s.indexOf("ack")) >= 0; s.delete(0, i + 3)) q.add(Boolean.TRUE);
                }
            } catch (IOException e) {
                // closed
            }
        }

        /** True once an ack came; false after {@code d}, or at once when perf has exited (it failed to attach). */
        boolean await(Duration d, Process perf) throws InterruptedException {
            long end = System.nanoTime() + d.toNanos();
            while (System.nanoTime() < end) {
                if (q.poll(50, TimeUnit.MILLISECONDS) != null) return true;
                if (!perf.isAlive()) return q.poll() != null;
            }
            return false;
        }

        void close() throws IOException {
            closing = true;
            // The reader may be blocked in read(): hand it a byte of our own, then close.
            f.write('\n');
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            f.close();
        }
    }
}
