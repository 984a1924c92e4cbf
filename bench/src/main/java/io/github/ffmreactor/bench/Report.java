package io.github.ffmreactor.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * {@code report [--in bench-results] [--out bench-results]}: reads a run's JMH JSON files
 * ({@code jmh-*.json}), the per-cell side results ({@code cells.jsonl}: latency, server CPU,
 * loop counters) and the machine description, and writes {@code report.html} (self-contained:
 * charts are XChart PNGs inlined as data URIs, numbers in tables) plus each chart as a PNG file.
 */
final class Report {
    private Report() {}

    /** One cell's numbers for one server. */
    record Row(String server, int connections, int size, int depth, double rtps, double rtpsError,
               JsonObject cell) {
        String cellName() {
            return cellName(connections, size, depth);
        }

        static String cellName(int c, int s, int d) {
            return c + " conn, " + (s >= 1024 ? s / 1024 + " KiB" : s + " B") + (d > 1 ? ", depth " + d : "");
        }

        double num(String k) {
            return cell != null && cell.has(k) ? cell.get(k).getAsDouble() : Double.NaN;
        }

        double perRt(String group, String k) {
            if (cell == null || !cell.has(group)) return Double.NaN;
            JsonObject g = cell.getAsJsonObject(group);
            // Server counters are divided by the round trips the server saw in its own window.
            double rts = group.equals("serverCounters") && cell.has("serverRoundTrips") ? num("serverRoundTrips") : num("roundTrips");
            return g.has(k) ? g.get(k).getAsDouble() / rts : Double.NaN;
        }

        double userUs() { return num("serverUserMicrosPerRoundTrip"); }
        double sysUs() { return num("serverSysMicrosPerRoundTrip"); }
        /** Total server CPU per round trip: the scheduler's exact run time where read, else utime + stime. */
        double cpuUs() {
            double run = num("serverRunMicrosPerRoundTrip");
            return Double.isNaN(run) || run < 0 ? userUs() + sysUs() : run;
        }
        double p99Us() { return num("p99Nanos") / 1e3; }
        /** System calls the server entered per round trip (cells.jsonl, from Syscalls), NaN if not counted. */
        double syscalls() { return num("syscallsPerRoundTrip"); }
        double uringEnters() { return num("uringEntersPerRoundTrip"); }
    }

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("in", "out"));
        Path in = Path.of(o.get("in", "bench-results"));
        Path out = Path.of(o.get("out", in.toString()));
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(out);
        List<Row> rows = load(in);
        if (rows.isEmpty()) {
            System.err.println("report: no EchoBench results in " + in + " (jmh-*.json)");
            return 1;
        }
        Path html = write(in, out, rows);
        System.out.println("report: " + html.toAbsolutePath());
        return 0;
    }

    static List<Row> load(Path in) throws IOException {
        // The side results: the last line per (server, cell) wins.
        Map<String, JsonObject> cells = new LinkedHashMap<>();
        Path cj = in.resolve("cells.jsonl");
        if (Files.exists(cj)) {
            for (String l : Files.readAllLines(cj)) {
                if (l.isBlank()) continue;
                JsonObject c = JsonParser.parseString(l).getAsJsonObject();
                cells.put(key(c.get("server").getAsString(), c.get("connections").getAsInt(), c.get("size").getAsInt(),
                        c.get("depth").getAsInt()), c);
            }
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        for (JsonObject r : jmhResults(in)) {
            if (!r.get("benchmark").getAsString().endsWith("EchoBench.roundTrips")) continue;
            JsonObject p = r.getAsJsonObject("params");
            String s = p.get("server").getAsString();
            int c = p.get("connections").getAsInt(), z = p.get("size").getAsInt(), d = p.get("depth").getAsInt();
            JsonObject pm = r.getAsJsonObject("primaryMetric");
            double err = pm.get("scoreError").isJsonPrimitive() ? parse(pm.get("scoreError")) : Double.NaN;
            rows.put(key(s, c, z, d), new Row(s, c, z, d, pm.get("score").getAsDouble(), err, cells.get(key(s, c, z, d))));
        }
        List<Row> l = new ArrayList<>(rows.values());
        l.sort(Comparator.comparingInt((Row r) -> r.depth).thenComparingInt(r -> r.size).thenComparingInt(r -> r.connections)
                .thenComparingInt(r -> Servers.ALL.indexOf(r.server)));
        return l;
    }

    static double parse(JsonElement e) {
        try {
            return Double.parseDouble(e.getAsString());
        } catch (RuntimeException x) {
            return Double.NaN;
        }
    }

    static List<JsonObject> jmhResults(Path in) throws IOException {
        List<JsonObject> r = new ArrayList<>();
        try (Stream<Path> s = Files.list(in)) {
            for (Path f : s.filter(p -> p.getFileName().toString().matches("jmh-.*\\.json")).sorted().toList()) {
                String text = Files.readString(f).trim();
                if (text.isEmpty()) continue;
                JsonArray a = JsonParser.parseString(text).getAsJsonArray();
                for (JsonElement e : a) r.add(e.getAsJsonObject());
            }
        }
        return r;
    }

    static String key(String s, int c, int z, int d) {
        return s + "|" + c + "|" + z + "|" + d;
    }

    // ---- charts ---------------------------------------------------------------------------------

    interface Metric {
        double of(Row r);
    }

    static CategoryChart byServer(String title, String yTitle, List<Row> rows, List<String> servers, List<String> cellNames,
                                  Metric m) {
        CategoryChart ch = new CategoryChartBuilder().width(1100).height(480).title(title).xAxisTitle("")
                .yAxisTitle(yTitle).build();
        style(ch);
        for (String s : servers) {
            List<Double> ys = new ArrayList<>();
            for (String cell : cellNames) {
                double v = Double.NaN;
                for (Row r : rows) if (r.server.equals(s) && r.cellName().equals(cell)) v = m.of(r);
                ys.add(Double.isNaN(v) ? 0.0 : v);
            }
            ch.addSeries(s, cellNames, ys).setFillColor(COLORS.getOrDefault(s, Color.GRAY));
        }
        return ch;
    }

    /** One colour per server in every chart: ffmreactor in oranges, the C server in black. */
    static final Map<String, Color> COLORS = Map.ofEntries(
            Map.entry("c-epoll", new Color(0x33, 0x33, 0x33)),
            Map.entry("c-uring", new Color(0x66, 0x66, 0x66)),
            Map.entry("ffm-uring", new Color(0x99, 0x33, 0xCC)),
            Map.entry("ffm-edge", new Color(0xE6, 0x55, 0x00)),
            Map.entry("ffm-level", new Color(0xFF, 0x99, 0x33)),
            Map.entry("ffm-oneshot", new Color(0xCC, 0x77, 0x22)),
            Map.entry("ffm-kqueue-edge", new Color(0xB8, 0x44, 0x00)),
            Map.entry("ffm-kqueue-level", new Color(0xD9, 0x80, 0x26)),
            Map.entry("ffm-kqueue-oneshot", new Color(0xA6, 0x66, 0x1A)),
            Map.entry("ffm-poll", new Color(0xFF, 0xC2, 0x66)),
            Map.entry("ffm-select", new Color(0xFF, 0xE0, 0x99)),
            Map.entry("nio", new Color(0x1F, 0x6F, 0xD0)),
            Map.entry("netty-epoll", new Color(0x2E, 0x9E, 0x44)),
            Map.entry("netty-uring", new Color(0x7F, 0xB0, 0x2E)),
            Map.entry("netty-nio", new Color(0x8F, 0xD1, 0x8F)),
            Map.entry("vthreads", new Color(0x8E, 0x44, 0xAD)),
            Map.entry("c-epoll-spin", new Color(0x99, 0x99, 0x99)),
            Map.entry("ffm-edge-spin", new Color(0xB3, 0x00, 0x00)),
            Map.entry("ffm-edge-stp", new Color(0xFF, 0x5C, 0x5C)),
            Map.entry("netty-epoll-spin", new Color(0x0B, 0x5D, 0x1E)));

    /** {@code m(r) / m(C server in r's cell)}, NaN when there is no C row. */
    static double relativeToC(List<Row> rows, Row r, Metric m) {
        for (Row c : rows) {
            if (c.server.equals("c-epoll") && c.cellName().equals(r.cellName())) return m.of(r) / m.of(c);
        }
        return Double.NaN;
    }

    static void style(CategoryChart ch) {
        org.knowm.xchart.style.CategoryStyler st = ch.getStyler();
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotGridVerticalLinesVisible(false);
        ch.getStyler().setAvailableSpaceFill(0.85);
        ch.getStyler().setOverlapped(false);
        st.setDecimalPattern("#,##0.##");
    }

    static String png(CategoryChart ch, Path out, String name) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(ch, b, BitmapEncoder.BitmapFormat.PNG);
        Files.write(out.resolve(name + ".png"), b.toByteArray());
        return "<img alt=\"" + esc(ch.getTitle()) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(b.toByteArray()) + "\">";
    }

    // ---- the page -------------------------------------------------------------------------------

    static Path write(Path in, Path out, List<Row> allRows) throws IOException {
        // The spinning servers have their own section: their CPU per round trip is the spin, not the work.
        List<Row> rows = allRows.stream().filter(r -> !Servers.SPINNING.contains(r.server)).toList();
        List<String> servers = new ArrayList<>();
        for (String s : Servers.ALL) if (rows.stream().anyMatch(r -> r.server.equals(s))) servers.add(s);
        List<String> cellNames = new ArrayList<>();
        for (Row r : rows) if (!cellNames.contains(r.cellName())) cellNames.add(r.cellName());

        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>ffmreactor benchmark report</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;font-size:13px}th{background:#f3f3f3}")
                .append("td:first-child,th:first-child{text-align:left}.ok{color:#080}.miss{color:#b00;font-weight:bold}")
                .append("img{max-width:100%;border:1px solid #eee;margin:.5em 0}code,pre{background:#f6f6f6}</style></head><body>\n");
        h.append("<h1>ffmreactor echo benchmark</h1>\n");
        Path machine = in.resolve("machine.txt");
        if (Files.exists(machine)) h.append("<h3>Machine and run</h3><pre>").append(esc(Files.readString(machine))).append("</pre>\n");
        h.append("<p>Every server runs in its own process on one event-loop thread; the load is ffmreactor's client loop in the JMH ")
                .append("JVM (one thread), over 127.0.0.1. Server CPU is the server process's utime/stime from /proc over the measured ")
                .append("iterations, divided by the round trips completed in them. On a 2-core machine the load generator saturates its own ")
                .append("core first, so round trips per second barely separate competent servers; <b>CPU per round trip</b> is the cost the ")
                .append("server itself controls. Total CPU is the exact run time of the server's threads (se.sum_exec_runtime from ")
                .append("/proc/PID/task/*/sched); the user/system split comes from /proc/PID/stat, which the kernel samples once per ")
                .append("10 ms tick, so it is only as precise as the tick counts shown in cells.jsonl.</p>\n");

        h.append("<h2>Relative to the C epoll server (1.0 = C; per cell)</h2>\n");
        h.append(png(byServer("Server CPU per round trip relative to C (lower is better)", "x C", rows, servers, cellNames,
                r -> relativeToC(rows, r, Row::cpuUs)), out, "cpu-vs-c"));
        h.append(png(byServer("Round trips per second relative to C (higher is better)", "x C", rows, servers, cellNames,
                r -> relativeToC(rows, r, x -> x.rtps)), out, "throughput-vs-c"));
        h.append(png(byServer("p99 latency relative to C (lower is better)", "x C", rows, servers, cellNames,
                r -> relativeToC(rows, r, Row::p99Us)), out, "p99-vs-c"));
        h.append("<h2>Server CPU per round trip (lower is better)</h2>\n");
        h.append(png(byServer("Server CPU per round trip (us; threads' scheduler run time)", "us per round trip", rows, servers, cellNames,
                Row::cpuUs), out, "cpu-per-roundtrip"));
        h.append(png(byServer("Server user CPU per round trip (us; /proc utime, sampled per tick)", "us per round trip", rows, servers, cellNames,
                Row::userUs), out, "user-cpu-per-roundtrip"));
        h.append("<h2>Kernel crossings per round trip (lower is better)</h2>\n<p>Every system call the server process ")
                .append("entered, per round trip, counted over one more second of load after the measured iterations (perf ")
                .append("stat on the raw_syscalls:sys_enter tracepoint, or strace -c where perf may not count it). An epoll ")
                .append("server needs a read, a write and a share of epoll_wait per round trip; an io_uring server one ")
                .append("io_uring_enter per batch.</p>\n");
        h.append(png(byServer("System calls per round trip (server process)", "per round trip", rows, servers, cellNames,
                Row::syscalls), out, "syscalls-per-roundtrip"));
        h.append(PerfUserReport.html(in));
        h.append(udp(in));
        h.append("<h2>Throughput (round trips per second, higher is better)</h2>\n");
        h.append(png(byServer("Round trips per second", "round trips / s", rows, servers, cellNames, r -> r.rtps), out, "throughput"));
        h.append("<h2>p99 latency (lower is better)</h2>\n");
        h.append(png(byServer("p99 round-trip latency (us)", "us", rows, servers, cellNames, Row::p99Us), out, "p99"));

        // Edge vs level, with what each costs per message.
        h.append("<h2>Edge vs level triggering: syscalls per round trip in the server loop</h2>\n");
        h.append("<p>From the server loop's own counters over the measured window, divided by the round trips the server ")
                .append("saw (its bytes read / message size). waits: epoll_wait (or poll/select) calls; events: readiness events ")
                .append("delivered; eagains: reads or writes that found nothing to do; ctl: registration changes.</p>\n");
        String[] counters = {"waits", "events", "reads", "writes", "eagains", "ctl"};
        CategoryChart el = new CategoryChartBuilder().width(1100).height(480)
                .title("Server loop calls per round trip: edge (E) vs level (L)").yAxisTitle("per round trip").build();
        style(el);
        List<String> elCells = new ArrayList<>();
        for (String cell : cellNames) {
            elCells.add(cell + " E");
            elCells.add(cell + " L");
        }
        for (String k : counters) {
            List<Double> ys = new ArrayList<>();
            for (String cell : cellNames) {
                for (String s : new String[] {"ffm-edge", "ffm-level"}) {
                    double v = Double.NaN;
                    for (Row r : rows) if (r.server.equals(s) && r.cellName().equals(cell)) v = r.perRt("serverCounters", k);
                    ys.add(Double.isNaN(v) ? 0.0 : v);
                }
            }
            el.addSeries(k, elCells, ys);
        }
        el.getStyler().setXAxisLabelRotation(30);
        h.append(png(el, out, "edge-vs-level"));
        h.append("<table><tr><th>cell</th><th>mode</th><th>round trips/s</th><th>CPU us/rt</th><th>user us/rt</th><th>p99 us</th>");
        for (String k : counters) h.append("<th>").append(k).append("/rt</th>");
        h.append("<th>alloc B/rt</th></tr>\n");
        for (String cell : cellNames) {
            for (String s : new String[] {"ffm-edge", "ffm-level", "ffm-oneshot", "ffm-kqueue-edge", "ffm-kqueue-level",
                    "ffm-kqueue-oneshot", "ffm-poll", "ffm-select"}) {
                for (Row r : rows) {
                    if (!r.server.equals(s) || !r.cellName().equals(cell)) continue;
                    h.append("<tr><td>").append(cell).append("</td><td>").append(s).append("</td>")
                            .append(td(r.rtps, "%,.0f")).append(td(r.cpuUs(), "%.3f")).append(td(r.userUs(), "%.3f"))
                            .append(td(r.p99Us(), "%.1f"));
                    for (String k : counters) h.append(td(r.perRt("serverCounters", k), "%.3f"));
                    h.append(td(r.perRt("serverCounters", "alloc"), "%.2f")).append("</tr>\n");
                }
            }
        }
        h.append("</table>\n");

        // Every number, with ratios to the C server of the same cell.
        h.append("<h2>All cells, with ratios to the C epoll server</h2>\n<table><tr><th>cell</th><th>server</th><th>round trips/s</th>")
                .append("<th>&plusmn;</th><th>x C</th><th>MB/s</th><th>p50 us</th><th>p99 us</th><th>p99 x C</th><th>p99.9 us</th>")
                .append("<th>user us/rt</th><th>sys us/rt</th><th>CPU us/rt</th><th>CPU x C</th><th>user x C</th><th>loop thread us/rt</th>")
                .append("<th>other threads us/rt</th><th>sys/rt</th><th>sys/rt x C</th><th>io_uring_enter/rt</th><th>loop alloc B/rt</th>")
                .append("<th>client alloc B/rt</th></tr>\n");
        for (String cell : cellNames) {
            Row c = null;
            for (Row r : rows) if (r.server.equals("c-epoll") && r.cellName().equals(cell)) c = r;
            for (Row r : rows) {
                if (!r.cellName().equals(cell)) continue;
                h.append("<tr><td>").append(cell).append("</td><td>").append(r.server).append("</td>")
                        .append(td(r.rtps, "%,.0f")).append(td(r.rtpsError, "%,.0f"))
                        .append(ratio(r.rtps, c == null ? Double.NaN : c.rtps, r.server, 0.97, true))
                        .append(td(r.num("megabytesPerSecond"), "%.1f")).append(td(r.num("p50Nanos") / 1e3, "%.1f"))
                        .append(td(r.p99Us(), "%.1f"))
                        .append(ratio(r.p99Us(), c == null ? Double.NaN : c.p99Us(), r.connections == 256 ? r.server : "", 1.1, false))
                        .append(td(r.num("p999Nanos") / 1e3, "%.1f"))
                        .append(td(r.userUs(), "%.3f")).append(td(r.sysUs(), "%.3f")).append(td(r.cpuUs(), "%.3f"))
                        .append(ratio(r.cpuUs(), c == null ? Double.NaN : c.cpuUs(), r.server, 1.03, false))
                        .append(ratio(r.userUs(), c == null ? Double.NaN : c.userUs(), r.server, 1.2, false))
                        .append(td(r.num("loopThreadRunMicrosPerRoundTrip"), "%.3f"))
                        .append(td(r.cpuUs() - r.num("loopThreadRunMicrosPerRoundTrip"), "%.3f"))
                        .append(td(r.syscalls(), "%.3f")).append(ratio(r.syscalls(), c == null ? Double.NaN : c.syscalls(), "", 1, false))
                        .append(td(r.uringEnters(), "%.3f"))
                        .append(td(r.perRt("serverCounters", "alloc"), "%.2f"))
                        .append(td(r.perRt("clientCounters", "alloc"), "%.2f")).append("</tr>\n");
            }
        }
        h.append("</table><p>Targets (ffmreactor only, red when missed): round trips/s &ge; 0.97&times; C; CPU per round trip ")
                .append("&le; 1.03&times; C; user CPU &le; 1.2&times; C; p99 at 256 connections &le; 1.1&times; C.</p>\n");

        WaitReport.section(in, out, allRows, h);
        KvReport.section(in, out, h);
        ffmCalls(in, out, h);
        h.append("<h2>Raw data</h2><p>JMH JSON: <code>jmh-*.json</code>; per-cell latency, CPU and counters: <code>cells.jsonl</code> ")
                .append("(in the same directory as this page).</p></body></html>\n");
        Path f = out.resolve("report.html");
        Files.writeString(f, h.toString(), StandardCharsets.UTF_8);
        return f;
    }

    /** The FFM call costs, if the run measured them. */
    static void ffmCalls(Path in, Path out, StringBuilder h) throws IOException {
        Map<String, double[]> calls = new LinkedHashMap<>();
        for (JsonObject r : jmhResults(in)) {
            String b = r.get("benchmark").getAsString();
            if (!b.contains("FfmCallBench.")) continue;
            JsonObject pm = r.getAsJsonObject("primaryMetric");
            calls.put(b.substring(b.lastIndexOf('.') + 1), new double[] {pm.get("score").getAsDouble(), parse(pm.get("scoreError"))});
        }
        if (calls.isEmpty()) return;
        h.append("<h2>What a downcall costs (ns per call, lower is better)</h2>\n");
        Path c = in.resolve("c-getpid.txt");
        double cGetpid = Double.NaN;
        if (Files.exists(c)) {
            String t = Files.readString(c).trim();
            h.append("<p>C baseline: <code>").append(esc(t)).append("</code></p>\n");
            Matcher m = Pattern.compile("([0-9.]+) ns").matcher(t);
            if (m.find()) cGetpid = Double.parseDouble(m.group(1));
        }
        List<String> names = new ArrayList<>(calls.keySet());
        List<Double> vs = new ArrayList<>();
        for (String n : names) vs.add(calls.get(n)[0]);
        if (!Double.isNaN(cGetpid)) {
            names.add(0, "C getpid (bare)");
            vs.add(0, cGetpid);
        }
        CategoryChart ch = new CategoryChartBuilder().width(1100).height(420).title("ns per call").yAxisTitle("ns").build();
        style(ch);
        ch.getStyler().setLegendVisible(false);
        ch.getStyler().setXAxisLabelRotation(20);
        ch.addSeries("ns/call", names, vs);
        h.append(png(ch, out, "ffm-calls"));
        h.append("<table><tr><th>call</th><th>ns</th><th>&plusmn;</th><th>over C getpid</th></tr>\n");
        for (var e : calls.entrySet()) {
            h.append("<tr><td>").append(e.getKey()).append("</td>").append(td(e.getValue()[0], "%.1f")).append(td(e.getValue()[1], "%.1f"))
                    .append(td(e.getValue()[0] - cGetpid, "%+.1f")).append("</tr>\n");
        }
        h.append("</table>\n");
    }

    static String td(double v, String fmt) {
        return "<td>" + (Double.isNaN(v) || Double.isInfinite(v) ? "&ndash;" : String.format(Locale.ROOT, fmt, v)) + "</td>";
    }

    /** A ratio cell; for ffmreactor servers, coloured by whether it meets the target. */
    static String ratio(double v, double c, String server, double target, boolean higherIsBetter) {
        if (Double.isNaN(v) || Double.isNaN(c) || c == 0) return "<td>&ndash;</td>";
        double r = v / c;
        String cls = "";
        if (server.startsWith("ffm-")) cls = (higherIsBetter ? r >= target : r <= target) ? " class=\"ok\"" : " class=\"miss\"";
        return "<td" + cls + ">" + String.format(Locale.ROOT, "%.2f", r) + "</td>";
    }

    /** The UDP echo cell ({@code udp.txt}, written by run-bench's udp section): its table as printed. */
    static String udp(Path in) throws IOException {
        Path f = in.resolve("udp.txt");
        if (!Files.exists(f)) return "";
        return "<h2>UDP echo: datagrams/s and server CPU per datagram</h2>\n<p>64 B datagrams from 1 and 16 sender "
                + "threads (a window of 16 each) against the C recvmmsg/sendmmsg peer, Netty's epoll datagram channel and "
                + "ffmreactor's udp-echo, each in its own process; CPU is the server's utime+stime over the measured seconds "
                + "divided by the datagrams echoed. Target: ffm-udp at most 1.0x the C peer's CPU per datagram.</p>\n<pre>"
                + esc(Files.readString(f)) + "</pre>\n";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
