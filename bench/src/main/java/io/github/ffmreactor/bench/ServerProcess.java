package io.github.ffmreactor.bench;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An echo server in its own process, so that its CPU time (utime/stime) is its own: the C binary,
 * or this jar's {@code server <impl>} on the same JVM. Closing its stdin stops it.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("ready port=(\\d+) pid=(\\d+)");

    final String impl;
    final int port;
    final long pid;
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ServerProcess(String impl, Process p, int port, long pid, BufferedReader out) {
        this.impl = impl;
        this.process = p;
        this.port = port;
        this.pid = pid;
        this.stdin = p.getOutputStream();
        Thread.ofPlatform().daemon().name("server-out-" + impl).start(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) lines.add(l);
            } catch (IOException ignored) {
                // the server ended
            }
        });
    }

    /** Starts {@code impl} on an ephemeral 127.0.0.1 port and waits for its ready line. */
    static ServerProcess start(String impl) throws IOException, InterruptedException {
        String why = Servers.unavailableReason(impl);
        if (why != null) throw new UnsupportedOperationException(why);
        List<String> cmd = new ArrayList<>(Pinning.serverPrefix()); // taskset execs: the pid stays the server's
        if (impl.startsWith("c-")) {
            cmd.add(CServer.binary(CServer.source(impl)).toString());
            cmd.add("0");
            cmd.add(impl.endsWith("-spin") ? "spin" : "block");
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-Xms256m");
            cmd.add("-Xmx256m");
            cmd.add("-XX:+UseParallelGC");
            // One carrier thread: per-core like every other server.
            if (impl.equals("vthreads")) cmd.add("-Djdk.virtualThreadScheduler.parallelism=1");
            cmd.add("-Dio.netty.leakDetection.level=disabled");
            String extra = System.getProperty("ffmreactor.bench.serverJvmArgs", "");
            for (String a : extra.trim().split("\\s+", -1)) if (!a.isEmpty()) cmd.add(a);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(BenchMain.class.getName());
            cmd.add("server");
            cmd.add(impl);
            cmd.add("--port");
            cmd.add("0");
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String line;
        while ((line = out.readLine()) != null) {
            Matcher m = READY.matcher(line);
            if (m.find()) return new ServerProcess(impl, p, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), out);
            if (System.nanoTime() > deadline) break;
        }
        p.destroy();
        throw new IOException("server " + impl + " did not print its ready line (exit " + (p.waitFor(2, TimeUnit.SECONDS) ? p.exitValue() : "?") + ")");
    }

    ProcCpu cpu() throws IOException {
        return ProcCpu.of(pid);
    }

    /** The server's counters: name=value pairs (empty when it keeps none). */
    Map<String, Long> stats() throws IOException, InterruptedException {
        lines.clear();
        stdin.write("stats\n".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
        Map<String, Long> r = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l == null || !l.startsWith("stats")) continue;
            for (String kv : l.substring(5).trim().split("\\s+", -1)) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    try {
                        r.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
                    } catch (NumberFormatException ignored) {
                        // not a counter
                    }
                }
            }
            return r;
        }
        return r;
    }

    @Override
    public void close() {
        stop(process, stdin);
    }

    /**
     * Ends a server that stops when its stdin closes: closes {@code stdin}, waits 5 s, then
     * SIGTERM and 3 s, then SIGKILL. An interrupt kills it at once (and stays set): never left running.
     */
    static void stop(Process process, Closeable stdin) {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(3, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly(); // no time left to wait: do not leave it running
            Thread.currentThread().interrupt();
        }
    }
}
