package io.github.ffmreactor.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code uring}: the io_uring comparison (bench/run-bench uring). The servers of a cell are all
 * started at the cell's beginning and driven by the load tool ({@link LoadMain#run}) one after the
 * other, round after round (round-robin within the cell, each round starting one server further
 * on, so no server always runs first or right after the same neighbour); every run measures its
 * CPU window, then counts the server's kernel crossings over a window of its own
 * ({@link Syscalls}). Writes {@code uring.md} (markdown tables of medians and of ratios to the
 * baseline of the same round, with their spread, and the machine's facts) and {@code uring.jsonl}
 * (every run).
 */
final class UringBench {
    private UringBench() {}

    static final List<String> SERVERS = List.of("c-epoll", "c-uring", "ffm-level", "ffm-edge", "ffm-uring", "netty-epoll",
            "netty-uring");
    static final String CELLS = "1x64,16x64,256x64,1000x64,16x16k";

    static final Set<String> OPTIONS = Set.of("rounds", "servers", "cells", "warmup", "first-warmup", "duration",
            "syscall-window", "baseline", "out");

    /** A cell: connections x message size (depth 1). */
    record Cell(int connections, int size) {
        @Override
        public String toString() {
            return connections + "c x " + (size >= 1024 && size % 1024 == 0 ? size / 1024 + "KiB" : size + "B");
        }

        static List<Cell> parse(String spec) throws Opts.Bad {
            List<Cell> r = new ArrayList<>();
            for (String c : spec.split(",", -1)) {
                String[] f = c.trim().toLowerCase(Locale.ROOT).split("x", -1);
                if (f.length != 2) throw new Opts.Bad("--cells: want CONNECTIONSxSIZE (e.g. 16x64,16x16k), got '" + c + "'");
                Opts o = Opts.parse(new String[] {"--c", f[0], "--s", f[1]}, 0, Set.of("c", "s"));
                r.add(new Cell(o.intValue("c", 1, 1, 60000), o.size("s", 64, 1, 16 << 20)));
            }
            return r;
        }
    }

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, OPTIONS);
        int rounds = o.intValue("rounds", 3, 1, 100);
        List<Cell> cells = Cell.parse(o.get("cells", CELLS));
        Duration warmup = o.duration("warmup", Duration.ofSeconds(1));
        Duration firstWarmup = o.duration("first-warmup", Duration.ofSeconds(2));
        Duration duration = o.duration("duration", Duration.ofSeconds(3));
        Duration sysWindow = o.duration("syscall-window", Duration.ofMillis(500));
        String baseline = o.get("baseline", "c-epoll");
        Path out = Path.of(o.get("out", "bench-results/uring"));
        List<String> wanted = o.has("servers") ? List.of(o.get("servers", "").split(",")) : SERVERS;
        List<String> servers = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String s : wanted) {
            String why = Servers.unavailableReason(s);
            if (why == null) servers.add(s);
            else {
                skipped.add(why);
                System.out.println("uring: " + why);
            }
        }
        if (servers.isEmpty()) {
            System.err.println("uring: no server can run here");
            return 1;
        }
        if (!servers.contains(baseline)) System.out.println("uring: the baseline " + baseline + " cannot run here: no ratios");
        Files.createDirectories(out);
        Path jsonl = out.resolve("uring.jsonl");
        Files.deleteIfExists(jsonl);

        String loadBefore = loadAverage();
        String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        long t0 = System.nanoTime();
        double perRun = warmup.toMillis() / 1e3 + duration.toMillis() / 1e3 + sysWindow.toMillis() / 1e3 + 0.5;
        System.out.printf(Locale.ROOT, "uring: %d cells x %d servers x %d interleaved rounds, about %.0f min; syscalls by %s; load %s%n",
                cells.size(), servers.size(), rounds, cells.size() * servers.size() * (rounds * perRun + 2) / 60, Syscalls.tool(), loadBefore);

        List<RatioTable.Run> runs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        for (Cell cell : cells) {
            Map<String, ServerProcess> up = new LinkedHashMap<>();
            try {
                for (String s : servers) {
                    try {
                        up.put(s, ServerProcess.start(s));
                    } catch (IOException | RuntimeException e) {
                        failures.add(s + " " + cell + ": did not start: " + e.getMessage());
                        System.out.println("uring: " + s + " did not start: " + e.getMessage());
                    }
                }
                List<String> order = new ArrayList<>(up.keySet());
                for (int round = 1; round <= rounds; round++) {
                    for (int i = 0; i < order.size(); i++) {
                        String s = order.get((i + round - 1) % order.size());
                        ServerProcess sp = up.get(s);
                        var settings = new LoadMain.Settings(cell.connections(), cell.size(), 1, 1,
                                round == 1 ? firstWarmup : warmup, duration);
                        try {
                            Measurement m = LoadMain.run(s, new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port), sp.pid, sp,
                                    settings, quiet, false, sysWindow);
                            if (m.errors() > 0) {
                                failures.add(s + " " + m.cell() + " round " + round + ": " + m.errors() + " error(s)");
                                System.out.println("uring: " + s + " " + m.cell() + " round " + round + ": FAILED (" + m.errors() + " errors)");
                                continue;
                            }
                            runs.add(new RatioTable.Run(round, m));
                            Map<String, Object> j = m.toMap();
                            j.put("round", round);
                            Files.writeString(jsonl, new com.google.gson.Gson().toJson(j) + "\n", StandardCharsets.UTF_8,
                                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                            System.out.println("uring: " + line(round, rounds, m));
                        } catch (Exception e) {
                            failures.add(s + " " + cell + " round " + round + ": " + e);
                            System.out.println("uring: " + s + " round " + round + ": FAILED: " + e);
                        }
                    }
                }
            } finally {
                for (ServerProcess sp : up.values()) sp.close();
            }
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        String md = markdown(runs, servers, baseline, facts(started, rounds, warmup, firstWarmup, duration, sysWindow, loadBefore,
                loadAverage(), minutes), skipped, failures);
        Files.writeString(out.resolve("uring.md"), md, StandardCharsets.UTF_8);
        System.out.println(md);
        System.out.printf(Locale.ROOT, "uring: %s and %s (%.1f min)%n", out.resolve("uring.md"), jsonl, minutes);
        return failures.isEmpty() ? 0 : 1;
    }

    static String line(int round, int rounds, Measurement m) {
        return String.format(Locale.ROOT, "%s round %d/%d %-11s CPU %.3f us/rt (user %.3f), %,.0f rt/s, p50 %.1f us, sys/rt %.3f, "
                        + "io_uring_enter/rt %.3f%s", m.cell(), round, rounds, m.server(), RatioTable.cpuMicros(m),
                m.userMicrosPerRoundTrip(), m.roundTripsPerSecond(), m.p50Nanos() / 1e3, m.syscallsPerRoundTrip(),
                m.uringEntersPerRoundTrip(), Double.isNaN(m.allocatedPerRoundTrip()) ? ""
                        : String.format(Locale.ROOT, ", alloc %.2f B/rt", m.allocatedPerRoundTrip()));
    }

    /** The whole page: facts, the two summaries, one table per cell, and what each column means. */
    static String markdown(List<RatioTable.Run> runs, List<String> servers, String baseline, List<String> facts,
                           List<String> skipped, List<String> failures) {
        StringBuilder b = new StringBuilder("## io_uring profile (`bench/run-bench uring`)\n\n");
        for (String f : facts) b.append("- ").append(f).append('\n');
        for (String s : skipped) b.append("- ").append(s).append('\n');
        for (String f : failures) b.append("- FAILED: ").append(f).append('\n');
        b.append("\nServer CPU per round trip relative to ").append(baseline)
                .append(" (median of the per-round ratios, min–max over rounds; lower is better):\n\n");
        b.append(RatioTable.summary(runs, servers, baseline, RatioTable.metric("CPU us/rt")));
        b.append("Kernel crossings per round trip (all system calls the server process entered, median of rounds):\n\n");
        b.append(RatioTable.absolute(runs, servers, RatioTable.metric("sys/rt")));
        b.append("Of which `io_uring_enter`:\n\n");
        b.append(RatioTable.absolute(runs, servers, RatioTable.metric("io_uring_enter/rt")));
        b.append("Per cell (absolute columns: median of rounds; `× ").append(baseline)
                .append("` columns: median of the per-round ratios, min–max):\n\n");
        b.append(RatioTable.cellTables(runs, servers, baseline));
        b.append("""
                Columns: **CPU us/rt** the server process's CPU time per round trip (scheduler run time of all its \
                threads, /proc/PID/task/*/sched); **user us/rt** its user-mode part (/proc/PID/stat utime, sampled \
                per 10 ms tick: coarse when user time is small); **rt/s** round trips per second (on 2 cores mostly \
                the load generator's limit); **p50 us** median round-trip latency at the client; **sys/rt** system \
                calls the server entered per round trip (perf's raw_syscalls:sys_enter, or strace -c, counted over a \
                window of its own after the CPU window); **io_uring_enter/rt** those that were io_uring_enter; \
                **alloc B/rt** bytes the server's loop thread allocated per round trip (ffmreactor servers only). \
                Round trips are 64 B or 16 KiB echoes at depth 1 on 127.0.0.1.
                """);
        return b.toString();
    }

    static List<String> facts(String started, int rounds, Duration warmup, Duration firstWarmup, Duration duration,
                              Duration sysWindow, String loadBefore, String loadAfter, double minutes) {
        List<String> f = new ArrayList<>();
        f.add("run: " + started + ", " + String.format(Locale.ROOT, "%.1f", minutes) + " min; " + rounds
                + " interleaved rounds per cell (round-robin over the servers, each round starting one server further on), "
                + "all servers of a cell started at its beginning; per run " + LoadMain.fmt(warmup) + " warm-up ("
                + LoadMain.fmt(firstWarmup) + " in round 1), " + LoadMain.fmt(duration) + " measured, then "
                + LoadMain.fmt(sysWindow) + " of syscall counting (" + Syscalls.tool() + ")");
        f.add("cpu: " + Runtime.getRuntime().availableProcessors() + " x " + cpuModel());
        f.add("kernel: " + read("/proc/sys/kernel/ostype") + " " + read("/proc/sys/kernel/osrelease") + " "
                + System.getProperty("os.arch"));
        f.add("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        f.add("gcc: " + firstLine("gcc", "--version") + "; liburing: " + firstLine("dpkg-query", "-W", "-f=${Version}", "liburing-dev")
                + "; netty: " + nettyVersion());
        f.add("load average before: " + loadBefore + "; after: " + loadAfter);
        return f;
    }

    static String loadAverage() {
        String l = read("/proc/loadavg");
        String[] p = l.split(" ", -1);
        return p.length >= 3 ? p[0] + " " + p[1] + " " + p[2] : l;
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static String firstLine(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || s.isEmpty()) return "none";
            return s.lines().findFirst().orElse("none");
        } catch (IOException e) {
            return "none";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** From the Maven metadata the jar keeps per artifact (Netty's own versions file is merged away in the jar). */
    static String nettyVersion() {
        try (var in = UringBench.class.getResourceAsStream("/META-INF/maven/io.netty/netty-transport/pom.properties")) {
            if (in == null) return "?";
            var p = new Properties();
            p.load(in);
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }
}
