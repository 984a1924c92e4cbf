package io.github.ffmreactor.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * {@code trigger}: edge against level (and oneshot) triggering, as a JMH run of {@link EchoBench}
 * over every trigger mode of every backend this OS has, then {@link TriggerTable} from its JSON.
 * The JMH command line it runs is printed first: the same run by hand is
 * {@code java -jar benchmarks.jar <that line>}, and {@code trigger --json FILE} makes the table
 * from any EchoBench JSON.
 *
 * <p>Defaults (the profile): 1, 16 and 256 connections x depth 1 and 16 x 64 B, 2 forks x
 * (2 x 1 s warm-up, 5 x 1 s measured). Two forks, because a server process and its JIT differ
 * from one start to the next, and one fork's iterations would not show it. Server and client are
 * pinned to different CPUs ({@link Pinning}; {@code --pin}). On a quiet 2-core machine the whole
 * profile took 9.5 minutes, and pinned, 9 of the 12 edge and level CPU series had an error
 * (JMH's 99.9 % interval) under 10 % of the score (4 of 12 unpinned).
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
            Files.createDirectories(out);
            json = out.resolve("jmh-trigger.json");
            Files.deleteIfExists(json);
            List<String> jmh = jmhArgs(o, out, json);
            System.out.println("trigger: java -jar benchmarks.jar " + String.join(" ", quoted(jmh)));
            new Runner(new CommandLineOptions(jmh.toArray(String[]::new))).run();
        }
        String table = table(json);
        System.out.println();
        System.out.print(table);
        Path md = json.resolveSibling("trigger.md");
        Files.writeString(md, table, StandardCharsets.UTF_8);
        System.out.println("trigger: " + md.toAbsolutePath());
        return 0;
    }

    /** The profile as JMH's own command line. */
    static List<String> jmhArgs(Opts o, Path out, Path json) throws Opts.Bad {
        List<String> servers = new ArrayList<>();
        List<String> here = Servers.available();
        for (String s : o.get("servers", String.join(",", TriggerTable.servers())).split(",", -1)) {
            if (here.contains(s.trim())) servers.add(s.trim());
            else if (o.has("servers")) throw new Opts.Bad(String.valueOf(Servers.unavailableReason(s.trim())));
        }
        if (servers.isEmpty()) throw new Opts.Bad("no trigger-profile server runs here (" + TriggerTable.servers() + ")");
        Duration warmup = o.duration("warmup", Duration.ofSeconds(1)), time = o.duration("time", Duration.ofSeconds(1));
        List<String> a = new ArrayList<>(List.of("EchoBench",
                "-p", "server=" + String.join(",", servers),
                "-p", "connections=" + o.get("connections", "1,16,256"),
                "-p", "depth=" + o.get("depth", "1,16"),
                "-p", "size=" + o.size("size", 64, 1, 1 << 20),
                "-p", "clientWait=block",
                "-f", Integer.toString(o.intValue("forks", 2, 1, 100)),
                "-wi", Integer.toString(o.intValue("warmup-iterations", 2, 0, 1000)), "-w", warmup.toMillis() + "ms",
                "-i", Integer.toString(o.intValue("iterations", 5, 1, 1000)), "-r", time.toMillis() + "ms",
                "-foe", "true", "-rf", "json", "-rff", json.toString(),
                // The side results for the report's charts; no syscall window (the loop counts its own).
                "-jvmArgsAppend", "-Dffmreactor.bench.cells=" + out.resolve("cells.jsonl")
                        + " -Dffmreactor.bench.syscallWindowMs=0 -D" + Pinning.PROPERTY + "=" + pin(o)));
        return a;
    }

    /**
     * Server on CPU 1, client on CPU 0 where there are two CPUs and taskset ({@link Pinning});
     * {@code --pin no} turns it off, {@code --pin S:C} picks the CPUs.
     */
    static String pin(Opts o) throws Opts.Bad {
        String dflt = Runtime.getRuntime().availableProcessors() >= 2 && onPath("taskset") ? "1:0" : "no";
        String v = o.get("pin", dflt);
        try {
            Pinning.cores(v);
        } catch (IllegalArgumentException e) {
            throw new Opts.Bad("--pin must be SERVER:CLIENT (e.g. 1:0) or no, got '" + v + "'");
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
                + Math.round(100 * TriggerTable.BOUND) + " % of its score is inconclusive.\n\n" + TriggerTable.markdown(results);
    }

    private static List<String> quoted(List<String> args) {
        return args.stream().map(s -> s.contains(" ") ? "\"" + s + "\"" : s).toList();
    }
}
