package io.github.ffmreactor.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kv}: redis-benchmark against redis-server and ffmreactor's {@code kv} server (epoll,
 * level and edge triggering, and level with {@code --wait block}), side by side in one run. Every server is pinned to the same core
 * (taskset), redis-benchmark to another; the servers take turns cell by cell and round by round
 * (interleaved, the order rotated each round), so drift on a shared machine hits them alike.
 *
 * <p>Per run: requests/s, p50 and p99 from redis-benchmark's own {@code --csv} output, and the
 * server process's CPU over the run from /proc (utime+stime, and the threads' exact scheduler
 * run time), divided by the requests. Writes {@code kv.jsonl} (one line per run) and
 * {@code kv.html} with the table and charts ({@link KvReport}).
 */
final class KvBench {
    private KvBench() {}

    /**
     * kv runs with its own default wait (a 10 us spin before sleeping); {@code ffm-kv-level-block}
     * is kv with {@code --wait block}, side by side, to show what the spin buys and costs.
     */
    static final List<String> SERVERS = List.of("redis-server", "ffm-kv-level", "ffm-kv-edge", "ffm-kv-level-block");
    static final int[] PIPELINE = {1, 16};
    static final String[] TESTS = {"ping_mbulk", "set", "get"};
    /** The kv servers' JVM in this bench: a fixed heap, so GC sizing does not drift between rounds. */
    static final List<String> BENCH_JVM = List.of("-Xms256m", "-Xmx256m", "-XX:+UseParallelGC");

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("out", "rounds", "scale", "core", "client-core", "clients", "tests"));
        int[] clientCounts;
        try {
            clientCounts = Arrays.stream(o.get("clients", "1,50").split(",", -1)).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new Opts.Bad("--clients must be numbers such as 1,50, got '" + o.get("clients", "") + "'");
        }
        String[] tests = o.get("tests", String.join(",", TESTS)).split(",", -1);
        for (String t : tests) {
            if (!List.of("ping_inline", "ping_mbulk", "set", "get").contains(t)) throw new Opts.Bad("--tests: no test '" + t + "'");
        }
        Path out = Path.of(o.get("out", "bench-results/kv"));
        int rounds = o.intValue("rounds", 3, 1, 100);
        double scale = Double.parseDouble(o.get("scale", "1"));
        int cores = Runtime.getRuntime().availableProcessors();
        int core = o.intValue("core", 0, 0, cores - 1);
        int clientCore = o.intValue("client-core", cores > 1 ? 1 : 0, 0, cores - 1);
        Files.createDirectories(out);
        Path jsonl = out.resolve("kv.jsonl");
        Files.deleteIfExists(jsonl);
        String missing = missingTools();
        if (missing != null) {
            Files.writeString(out.resolve("kv-skipped.txt"), missing + "\n");
            System.out.println("kv: skipped: " + missing);
            return 0;
        }
        List<Server> servers = new ArrayList<>();
        try {
            for (String s : SERVERS) servers.add(Server.start(s, core, BENCH_JVM));
            // Warm-up: every cell once, short, so the JVM servers are compiled before they count.
            for (Server s : servers) {
                for (int c : clientCounts) for (int p : PIPELINE) for (String t : tests) bench(s, c, p, t, requests(c, p, scale / 4), clientCore);
            }
            for (int c : clientCounts) {
                for (int p : PIPELINE) {
                    for (String t : tests) {
                        for (int r = 0; r < rounds; r++) {
                            for (int k = 0; k < servers.size(); k++) {
                                Server s = servers.get((k + r) % servers.size());
                                Result x = bench(s, c, p, t, requests(c, p, scale), clientCore);
                                Files.writeString(jsonl, x.json() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                                System.out.println("kv: " + x);
                            }
                        }
                    }
                }
            }
        } finally {
            for (Server s : servers) s.close();
        }
        System.setProperty("java.awt.headless", "true");
        Path html = KvReport.page(out, out);
        System.out.println(KvReport.text(KvReport.load(out)));
        System.out.println("kv: " + html.toAbsolutePath());
        return 0;
    }

    /** Requests per run: about a second or two of each cell on a small machine at scale 1. */
    static int requests(int clients, int pipeline, double scale) {
        int base = clients == 1 ? (pipeline == 1 ? 40_000 : 400_000) : (pipeline == 1 ? 200_000 : 1_000_000);
        return Math.max(1000, (int) (base * scale));
    }

    static String missingTools() {
        for (String t : new String[] {"redis-server", "redis-benchmark", "redis-cli", "taskset"}) {
            if (which(t) == null) {
                return t + " is not installed (Debian/Ubuntu: apt-get install redis-server redis-tools util-linux)";
            }
        }
        return null;
    }

    static Path which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return Path.of(dir, tool);
        }
        return null;
    }

    record Result(String server, int clients, int pipeline, String test, int requests, double rps, double p50Ms,
                  double p99Ms, long statCpuNanos, long runCpuNanos) {
        String json() {
            return String.format(Locale.ROOT, "{\"server\":\"%s\",\"clients\":%d,\"pipeline\":%d,\"test\":\"%s\",\"requests\":%d,"
                    + "\"rps\":%.2f,\"p50Ms\":%.4f,\"p99Ms\":%.4f,\"statCpuNanos\":%d,\"runCpuNanos\":%d}",
                    server, clients, pipeline, test, requests, rps, p50Ms, p99Ms, statCpuNanos, runCpuNanos);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-13s c=%-2d P=%-2d %-10s %,12.0f req/s  p50 %.3f ms  p99 %.3f ms  cpu %.3f us/req",
                    server, clients, pipeline, test, rps, p50Ms, p99Ms, runCpuNanos / 1e3 / requests);
        }
    }

    private static final Pattern CSV = Pattern.compile("^\"([A-Z_]+)\",\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\","
            + "\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\"", Pattern.MULTILINE);

    static Result bench(Server s, int clients, int pipeline, String test, int n, int clientCore) throws Exception {
        List<String> cmd = List.of("taskset", "-c", Integer.toString(clientCore), "redis-benchmark", "-h", "127.0.0.1",
                "-p", Integer.toString(s.port), "-c", Integer.toString(clients), "-P", Integer.toString(pipeline),
                "-n", Integer.toString(n), "-t", test, "--csv");
        ProcCpu before = ProcCpu.of(s.pid);
        String output = run(cmd);
        ProcCpu after = ProcCpu.of(s.pid);
        Matcher m = CSV.matcher(output);
        if (!m.find()) throw new IOException("redis-benchmark against " + s.name + ": no CSV result in:\n" + output);
        long stat = after.userNanos() + after.systemNanos() - before.userNanos() - before.systemNanos();
        long runNs = after.runNanos() >= 0 && before.runNanos() >= 0 ? after.runNanos() - before.runNanos() : stat;
        return new Result(s.name, clients, pipeline, test, n, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(5)),
                Double.parseDouble(m.group(7)), stat, runNs);
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] b;
        try (var in = p.getInputStream()) {
            b = in.readAllBytes();
        }
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": still running after 300 s");
        }
        String out = new String(b, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + "\n" + out);
        return out;
    }

    /** A server process pinned to one core. */
    static final class Server implements AutoCloseable {
        final String name;
        final Process process;
        final int port;
        final long pid;

        private Server(String name, Process process, int port, long pid) {
            this.name = name;
            this.process = process;
            this.port = port;
            this.pid = pid;
        }

        /** Starts {@code name} pinned to {@code core}; a kv server's JVM gets {@code jvmFlags}. */
        static Server start(String name, int core, List<String> jvmFlags) throws Exception {
            return start(name, core, jvmFlags, List.of());
        }

        /** As {@link #start(String, int, List)}, with {@code kvArgs} after kv's own (ignored for redis-server). */
        static Server start(String name, int core, List<String> jvmFlags, List<String> kvArgs) throws Exception {
            if (name.equals("redis-server")) {
                int port = freePort();
                // Persistence off, one I/O thread (the main thread does all), loopback only.
                Process p = new ProcessBuilder("taskset", "-c", Integer.toString(core), "redis-server", "--port",
                        Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--io-threads", "1",
                        "--daemonize", "no", "--loglevel", "warning")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                Server s = new Server(name, p, port, p.pid()); // taskset execs redis-server: same pid
                s.awaitPong();
                return s;
            }
            String trigger = name.endsWith("-edge") ? "edge" : "level";
            List<String> cmd = new ArrayList<>(List.of("taskset", "-c", Integer.toString(core),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
            cmd.addAll(jvmFlags);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    "io.github.ffmreactor.cli.Main", "kv", "--port", "0", "--backend", "epoll", "--trigger", trigger));
            cmd.addAll(kvArgs);
            if (name.endsWith("-block")) cmd.addAll(List.of("--wait", "block"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Pattern ready = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) .*pid=(\\d+)");
            for (String l; (l = out.readLine()) != null; ) {
                Matcher m = ready.matcher(l);
                if (m.find()) {
                    Thread.ofPlatform().daemon().start(() -> {
                        try {
                            while (out.readLine() != null) {
                                // drain: the counters on stop
                            }
                        } catch (IOException ignored) {
                            // gone
                        }
                    });
                    Server s = new Server(name, p, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
                    s.awaitPong();
                    return s;
                }
            }
            p.destroyForcibly();
            throw new IOException(name + ": no ready line");
        }

        private void awaitPong() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                try (Socket so = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    so.setSoTimeout(2000);
                    so.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                    if (new String(so.getInputStream().readNBytes(7), StandardCharsets.US_ASCII).equals("+PONG\r\n")) return;
                } catch (IOException e) {
                    if (!process.isAlive()) throw new IOException(name + " exited: " + process.exitValue());
                    Thread.sleep(50); // redis-server binds a moment after it starts
                }
            }
            throw new IOException(name + " does not answer PING on port " + port);
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
