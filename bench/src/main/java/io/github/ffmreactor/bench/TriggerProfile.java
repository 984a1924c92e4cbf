package io.github.ffmreactor.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@code trigger}: edge against level (and oneshot) triggering, as JMH runs of {@link EchoBench}
 * over every trigger mode of every backend this OS has, then {@link TriggerTable} from their JSON.
 *
 * <p>JMH, given all servers in one run, runs every fork of one server before the next server's,
 * so a drift of the machine during a cell (another process, CPU frequency, the hypervisor) lands
 * on one mode. The profile therefore runs its forks as rounds ({@link Rounds}): {@code --forks N}
 * is N rounds, and in each round every cell runs one fork ({@code -f 1}) of each server, the
 * servers' order reversed in alternate rounds (Thue–Morse: AB BA BA AB), so that a drift linear
 * in time is shared by all modes. Each fork is one in-process JMH {@link Runner} run writing its
 * own JSON ({@code rounds/r0-c16-d1-ffm-edge.json}); {@code rounds/order.txt} records each fork's
 * start and place; {@link JmhMerge} pools them into {@code jmh-trigger.json}, the file JMH would
 * have written running the same forks in one run. The single JMH command line that runs the same
 * forks (not interleaved) is printed first, and {@code trigger --json FILE} makes the table from
 * any EchoBench JSON.
 *
 * <p>Defaults (the profile): 1, 16 and 256 connections x depth 1 and 16 x 64 B, 2 forks (rounds) x
 * (2 x 1 s warm-up, 5 x 1 s measured). Two forks, because a server process and its JIT differ
 * from one start to the next, and one fork's iterations would not show it; an even number, so
 * that every round has its reversed partner; not four, which would take about 21 minutes for the
 * five Linux servers, over the 15-minute budget. Server and client are pinned to different CPUs
 * ({@link Pinning}; {@code --pin}). On a quiet 2-core machine the whole profile, interleaved,
 * took 10.7 minutes, and pinned, 9 of the 12 edge and level CPU series had an error (JMH's
 * 99.9 % interval) under 10 % of the score (4 of 12 unpinned).
 */
final class TriggerProfile {
    private TriggerProfile() {}

    static final Set<String> OPTIONS = Set.of("servers", "connections", "depth", "size", "forks", "warmup-iterations",
            "warmup", "iterations", "time", "out", "json", "pin");

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, OPTIONS);
        Path json;
        if (o.has("json")) {
            json = Path.of(o.get("json", ""));
        } else {
            Path out = Path.of(o.get("out", "bench-results/trigger"));
            Profile p = profile(o, out);
            Files.createDirectories(out);
            json = out.resolve("jmh-trigger.json");
            Files.deleteIfExists(json);
            System.out.println("trigger: java -jar benchmarks.jar " + String.join(" ", quoted(p.args(String.join(",", p.servers),
                    join(p.connections), join(p.depths), p.forks, json))));
            System.out.printf(Locale.ROOT, "trigger: runs that as %d round(s), interleaved: each fork is the line above with -p server=S"
                    + " -p connections=C -p depth=D -f 1 -rff rounds/rR-cC-dD-S.json, in the order of rounds/%s%n", p.forks, Rounds.ORDER_FILE);
            JmhMerge.files(rounds(p, out.resolve("rounds")), json);
        }
        String table = table(json);
        System.out.println();
        System.out.print(table);
        Path md = json.resolveSibling("trigger.md");
        Files.writeString(md, table, StandardCharsets.UTF_8);
        System.out.println("trigger: " + md.toAbsolutePath());
        return 0;
    }

    /** The profile: its servers, cells and rounds, and the JMH options every fork shares. */
    record Profile(List<String> servers, List<Integer> connections, List<Integer> depths, int size, int forks, List<String> shared,
                   String jvmArgs) {
        /** JMH's command line for these servers, connections and depths (comma-separated) and forks, its JSON to {@code json}. */
        List<String> args(String server, String conns, String depths, int f, Path json) {
            List<String> a = new ArrayList<>(List.of("EchoBench", "-p", "server=" + server, "-p", "connections=" + conns,
                    "-p", "depth=" + depths, "-p", "size=" + size, "-p", "clientWait=block", "-f", Integer.toString(f)));
            a.addAll(shared);
            a.addAll(List.of("-foe", "true", "-rf", "json", "-rff", json.toString(), "-jvmArgsAppend", jvmArgs));
            return a;
        }
    }

    static Profile profile(Opts o, Path out) throws Opts.Bad {
        List<String> servers = new ArrayList<>();
        List<String> here = Servers.available();
        for (String s : o.get("servers", String.join(",", TriggerTable.servers())).split(",", -1)) {
            if (here.contains(s.trim())) servers.add(s.trim());
            else if (o.has("servers")) throw new Opts.Bad(String.valueOf(Servers.unavailableReason(s.trim())));
        }
        if (servers.isEmpty()) throw new Opts.Bad("no trigger-profile server runs here (" + TriggerTable.servers() + ")");
        Duration warmup = o.duration("warmup", Duration.ofSeconds(1)), time = o.duration("time", Duration.ofSeconds(1));
        List<String> shared = List.of(
                "-wi", Integer.toString(o.intValue("warmup-iterations", 2, 0, 1000)), "-w", warmup.toMillis() + "ms",
                "-i", Integer.toString(o.intValue("iterations", 5, 1, 1000)), "-r", time.toMillis() + "ms");
        // The side results for the report's charts; no syscall window (the loop counts its own).
        String jvmArgs = "-Dffmreactor.bench.cells=" + out.resolve("cells.jsonl") + " -Dffmreactor.bench.syscallWindowMs=0 -D"
                + Pinning.PROPERTY + "=" + pin(o);
        return new Profile(servers, ints(o, "connections", "1,16,256", 100_000), ints(o, "depth", "1,16", 1 << 16),
                o.size("size", 64, 1, 1 << 20), o.intValue("forks", 2, 1, 100), shared, jvmArgs);
    }

    /** Every fork of the profile, round by round, each its own JMH run; their JSON files in the order they ran. */
    static List<Path> rounds(Profile p, Path dir) throws Exception {
        Files.createDirectories(dir);
        try (Stream<Path> old = Files.list(dir)) {
            // A previous profile's forks, so that the directory holds only this run's.
            for (Path f : old.toList()) {
                String n = f.getFileName().toString();
                if (n.matches("r\\d+-.*\\.json") || n.equals(Rounds.ORDER_FILE)) Files.delete(f);
            }
        }
        Path order = dir.resolve(Rounds.ORDER_FILE);
        Files.writeString(order, Rounds.HEADER, StandardCharsets.UTF_8);
        List<Rounds.Fork> plan = Rounds.plan(p.servers, p.connections, p.depths, p.size, p.forks);
        List<Path> files = new ArrayList<>();
        for (Rounds.Fork f : plan) {
            Path json = dir.resolve(f.file());
            System.out.printf(Locale.ROOT, "%ntrigger: fork %d/%d, round %d/%d: %s at %d conn, depth %d%n", files.size() + 1, plan.size(),
                    f.round() + 1, p.forks, f.server(), f.connections(), f.depth());
            Instant start = Instant.now();
            boolean ok = false;
            try {
                List<String> a = p.args(f.server(), Integer.toString(f.connections()), Integer.toString(f.depth()), 1, json);
                new Runner(new CommandLineOptions(a.toArray(String[]::new)), withoutSummary()).run();
                ok = true;
            } finally {
                Files.writeString(order, Rounds.line(f, start, Duration.between(start, Instant.now()), ok), StandardCharsets.UTF_8,
                        StandardOpenOption.APPEND);
            }
            files.add(json);
        }
        return files;
    }

    /**
     * JMH's console output less its end-of-run summary (the one-fork table and its advice), which
     * would come once per fork: the profile's own table is the summary.
     */
    private static OutputFormat withoutSummary() {
        OutputFormat text = OutputFormatFactory.createFormatInstance(System.out, VerboseMode.NORMAL);
        return (OutputFormat) Proxy.newProxyInstance(OutputFormat.class.getClassLoader(), new Class<?>[] {OutputFormat.class},
                (proxy, m, a) -> m.getName().equals("endRun") ? null : m.invoke(text, a));
    }

    private static List<Integer> ints(Opts o, String name, String dflt, int max) throws Opts.Bad {
        List<Integer> r = new ArrayList<>();
        for (String v : o.get(name, dflt).split(",", -1)) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n < 1 || n > max) throw new NumberFormatException();
                r.add(n);
            } catch (NumberFormatException e) {
                throw new Opts.Bad("--" + name + " must be a comma-separated list of numbers in 1.." + max + ", got '" + o.get(name, dflt) + "'");
            }
        }
        return r;
    }

    private static String join(List<Integer> l) {
        return String.join(",", l.stream().map(String::valueOf).toList());
    }

    /**
     * Server on CPU 1, client on CPU 0 where there are two CPUs and taskset ({@link Pinning});
     * {@code --pin no} turns it off, {@code --pin S:C} picks the CPUs ({@code 0:0}: both on one).
     */
    static String pin(Opts o) throws Opts.Bad {
        String dflt = Runtime.getRuntime().availableProcessors() >= 2 && onPath("taskset") ? "1:0" : "no";
        String v = o.get("pin", dflt);
        try {
            Pinning.cores(v);
        } catch (IllegalArgumentException e) {
            throw new Opts.Bad("--pin must be SERVER:CLIENT (e.g. 1:0, or 0:0 for one CPU) or no, got '" + v + "'");
        }
        return v;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }

    static String table(Path json) throws IOException {
        List<JsonObject> results = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(json)).getAsJsonArray()) results.add(e.getAsJsonObject());
        return "## Edge vs level triggering, per round trip (" + json.getFileName() + ")\n\n"
                + "Each value is JMH's score ± its 99.9 % error; a ratio's interval is 99.9 % too; an error over "
                + Math.round(100 * TriggerTable.BOUND) + " % of its score is inconclusive.\n\n"
                + TriggerTable.markdown(results, Rounds.orders(json.resolveSibling("rounds").resolve(Rounds.ORDER_FILE)));
    }

    private static List<String> quoted(List<String> args) {
        return args.stream().map(s -> s.contains(" ") ? "\"" + s + "\"" : s).toList();
    }
}
