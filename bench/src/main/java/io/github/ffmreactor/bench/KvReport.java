package io.github.ffmreactor.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The kv section of the report: from {@code kv.jsonl} ({@link KvBench}), per cell (clients,
 * pipeline, command) and server, the median requests/s, p50 and p99 over the rounds and the CPU
 * per request over all of them; each ffmreactor cell as a ratio to redis-server's.
 */
final class KvReport {
    private KvReport() {}

    /** One cell of one server, the rounds combined. */
    record Cell(String server, int clients, int pipeline, String test, int rounds, double rps, double p50Ms, double p99Ms,
                double statCpuUs, double runCpuUs) {
        String name() {
            return "c" + clients + " P" + pipeline + " " + test.toUpperCase(Locale.ROOT);
        }
    }

    static List<Cell> load(Path in) throws IOException {
        Path f = in.resolve("kv.jsonl");
        if (!Files.exists(f)) return List.of();
        Map<String, List<JsonObject>> runs = new LinkedHashMap<>();
        for (String l : Files.readAllLines(f)) {
            if (l.isBlank()) continue;
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            String key = o.get("clients").getAsInt() + "/" + o.get("pipeline").getAsInt() + "/" + o.get("test").getAsString()
                    + "/" + o.get("server").getAsString();
            runs.computeIfAbsent(key, k -> new ArrayList<>()).add(o);
        }
        List<Cell> cells = new ArrayList<>();
        for (List<JsonObject> rs : runs.values()) {
            JsonObject first = rs.get(0);
            long requests = 0, stat = 0, run = 0;
            for (JsonObject o : rs) {
                requests += o.get("requests").getAsLong();
                stat += o.get("statCpuNanos").getAsLong();
                run += o.get("runCpuNanos").getAsLong();
            }
            cells.add(new Cell(first.get("server").getAsString(), first.get("clients").getAsInt(), first.get("pipeline").getAsInt(),
                    first.get("test").getAsString(), rs.size(), median(rs, "rps"), median(rs, "p50Ms"), median(rs, "p99Ms"),
                    stat / 1e3 / requests, run / 1e3 / requests));
        }
        return cells;
    }

    static double median(List<JsonObject> rs, String field) {
        double[] v = rs.stream().mapToDouble(o -> o.get(field).getAsDouble()).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static Cell redis(List<Cell> cells, Cell c) {
        for (Cell r : cells) {
            if (r.server().equals("redis-server") && r.name().equals(c.name())) return r;
        }
        return null;
    }

    /** The table as text: every cell, ffmreactor's ratios to redis-server. */
    static String text(List<Cell> cells) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-16s %-13s %12s %7s %9s %9s %10s %7s %10s%n",
                "cell", "server", "req/s", "x redis", "p50 ms", "p99 ms", "CPU us/req", "x redis", "stat us/req"));
        for (Cell c : cells) {
            Cell r = redis(cells, c);
            b.append(String.format(Locale.ROOT, "%-16s %-13s %,12.0f %7s %9.3f %9.3f %10.3f %7s %10.3f%n", c.name(), c.server(), c.rps(),
                    r == null || c.equals(r) ? "" : String.format(Locale.ROOT, "%.2f", c.rps() / r.rps()), c.p50Ms(), c.p99Ms(),
                    c.runCpuUs(), r == null || c.equals(r) ? "" : String.format(Locale.ROOT, "%.2f", c.runCpuUs() / r.runCpuUs()),
                    c.statCpuUs()));
        }
        return b.toString();
    }

    /** kv.html: the section alone (the kv subcommand's own page). */
    static Path page(Path in, Path out) throws IOException {
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>ffmreactor kv vs redis-server</title>")
                .append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;font-size:13px}.ok{color:#080}")
                .append(".miss{color:#b00;font-weight:bold}img{max-width:100%}</style></head><body>\n");
        section(in, out, h);
        h.append("</body></html>\n");
        Path f = out.resolve("kv.html");
        Files.writeString(f, h.toString(), StandardCharsets.UTF_8);
        return f;
    }

    /** Appends the kv section when the run has one. */
    static void section(Path in, Path out, StringBuilder h) throws IOException {
        List<Cell> cells = load(in);
        Path skipped = in.resolve("kv-skipped.txt");
        if (cells.isEmpty()) {
            if (Files.exists(skipped)) h.append("<h2>kv: RESP server vs redis-server</h2><p>Skipped: ")
                    .append(Report.esc(Files.readString(skipped))).append("</p>\n");
            return;
        }
        h.append("<h2>kv: RESP server vs redis-server (redis-benchmark)</h2>\n")
                .append("<p><code>redis-benchmark -t ping_mbulk|set|get --csv</code> at 1 and 50 clients, pipeline 1 and 16, against ")
                .append("<code>redis-server --save '' --appendonly no --io-threads 1</code> and <code>ffmreactor kv --backend epoll</code> ")
                .append("(level and edge triggering with kv's default wait, a 10 us spin before sleeping; level with --wait block), every server pinned to the same core by taskset and redis-benchmark to another, ")
                .append("interleaved round by round. requests/s, p50 and p99: redis-benchmark's own figures (median over rounds). CPU per ")
                .append("request: the server process's threads' run time (/proc/PID/task/*/sched) over the runs, divided by the requests; ")
                .append("the utime+stime figure (/proc/PID/stat, 10 ms ticks) is next to it. Target: at least redis-server's requests/s ")
                .append("at no more CPU per request in every cell.</p>\n");
        List<String> names = new ArrayList<>();
        for (Cell c : cells) if (!names.contains(c.name())) names.add(c.name());
        List<String> servers = new ArrayList<>();
        for (String s : KvBench.SERVERS) if (cells.stream().anyMatch(c -> c.server().equals(s))) servers.add(s);
        h.append(Report.png(chart("Requests per second relative to redis-server (higher is better)", cells, names, servers,
                c -> c.rps() / redis(cells, c).rps()), out, "kv-rps-vs-redis"));
        h.append(Report.png(chart("Server CPU per request relative to redis-server (lower is better)", cells, names, servers,
                c -> c.runCpuUs() / redis(cells, c).runCpuUs()), out, "kv-cpu-vs-redis"));
        h.append(Report.png(chart("Requests per second", cells, names, servers, Cell::rps), out, "kv-rps"));
        h.append(Report.png(chart("p99 latency (ms, redis-benchmark)", cells, names, servers, Cell::p99Ms), out, "kv-p99"));
        h.append("<table><tr><th>cell</th><th>server</th><th>requests/s</th><th>x redis</th><th>p50 ms</th><th>p99 ms</th>")
                .append("<th>CPU us/req</th><th>x redis</th><th>utime+stime us/req</th><th>rounds</th></tr>\n");
        for (Cell c : cells) {
            Cell r = redis(cells, c);
            boolean other = r != null && !r.equals(c);
            h.append("<tr><td>").append(c.name()).append("</td><td>").append(c.server()).append("</td>")
                    .append(Report.td(c.rps(), "%,.0f"))
                    .append(other ? mark(c.rps() / r.rps(), c.rps() >= r.rps()) : "<td></td>")
                    .append(Report.td(c.p50Ms(), "%.3f")).append(Report.td(c.p99Ms(), "%.3f"))
                    .append(Report.td(c.runCpuUs(), "%.3f"))
                    .append(other ? mark(c.runCpuUs() / r.runCpuUs(), c.runCpuUs() <= r.runCpuUs()) : "<td></td>")
                    .append(Report.td(c.statCpuUs(), "%.3f")).append("<td>").append(c.rounds()).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String mark(double ratio, boolean ok) {
        return "<td class=\"" + (ok ? "ok" : "miss") + "\">" + String.format(Locale.ROOT, "%.2f", ratio) + "</td>";
    }

    private static CategoryChart chart(String title, List<Cell> cells, List<String> names, List<String> servers,
                                       ToDoubleFunction<Cell> y) {
        CategoryChart ch = new CategoryChartBuilder().width(1100).height(460).title(title).build();
        Report.style(ch);
        ch.getStyler().setXAxisLabelRotation(30);
        for (String s : servers) {
            List<Double> ys = new ArrayList<>();
            for (String n : names) {
                double v = Double.NaN;
                for (Cell c : cells) if (c.server().equals(s) && c.name().equals(n)) v = y.applyAsDouble(c);
                ys.add(Double.isNaN(v) || Double.isInfinite(v) ? 0.0 : v);
            }
            ch.addSeries(s, names, ys);
        }
        return ch;
    }
}
