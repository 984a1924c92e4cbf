package io.github.ffmreactor.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code idle --servers a,b [--seconds 10] [--out idle.jsonl]}: what each server costs with no
 * traffic. Each server in turn gets a short burst of echo traffic (so a spin-then-park loop has
 * just been busy), then its process's CPU time (the scheduler's run time of all its threads) is
 * read over {@code seconds} of silence. One at a time: two spinners side by side on a small
 * machine would each get less than a core and look cheaper than they are.
 */
final class IdleCpu {
    private IdleCpu() {}

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("servers", "seconds", "out"));
        List<String> servers = List.of(o.get("servers", String.join(",", Servers.available())).split(","));
        int seconds = o.intValue("seconds", 10, 1, 600);
        Path out = o.has("out") ? Path.of(o.get("out", "")) : null;
        for (String s : servers) {
            if (Servers.unavailableReason(s) != null) {
                System.out.println("idle " + s + ": " + Servers.unavailableReason(s));
                continue;
            }
            Map<String, Object> r = measure(s, Duration.ofSeconds(seconds));
            System.out.printf(Locale.ROOT, "idle %s: %.2f%% of a core over %d s (user %.2f%%, system %.2f%%)%n", s,
                    (Double) r.get("cpuPercent"), seconds, (Double) r.get("userPercent"), (Double) r.get("sysPercent"));
            if (out != null) {
                if (out.getParent() != null) Files.createDirectories(out.getParent());
                Files.writeString(out, new com.google.gson.Gson().toJson(r) + "\n", StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        }
        return 0;
    }

    static Map<String, Object> measure(String server, Duration window) throws Exception {
        try (ServerProcess sp = ServerProcess.start(server)) {
            try (LoadClient c = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port), 1, 64, 1, 1)) {
                if (!c.awaitCompleted(c.completed() + 2_000, Duration.ofSeconds(30))) {
                    throw new IllegalStateException(server + ": warm-up traffic stalled: " + c.firstError());
                }
            }
            // Past any spin-then-park threshold the bench uses (microseconds): the window is silence.
            Thread.sleep(100);
            ProcCpu before = sp.cpu();
            long t0 = System.nanoTime();
            Thread.sleep(window.toMillis());
            ProcCpu d = sp.cpu().minus(before);
            double wall = System.nanoTime() - t0;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("server", server);
            r.put("seconds", wall / 1e9);
            r.put("cpuPercent", 100.0 * (d.runNanos() >= 0 ? d.runNanos() : d.userNanos() + d.systemNanos()) / wall);
            r.put("userPercent", 100.0 * d.userNanos() / wall);
            r.put("sysPercent", 100.0 * d.systemNanos() / wall);
            return r;
        }
    }
}
