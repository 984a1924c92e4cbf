package io.github.ffmreactor.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The report's low-latency section: blocking vs spinning servers at 1 and 16 connections (p50,
 * p99, p99.9, round trips/s, CPU per round trip) and each one's idle CPU ({@code idle.jsonl}).
 */
final class WaitReport {
    private WaitReport() {}

    static final List<String> ORDER = List.of("c-epoll", "c-epoll-spin", "ffm-edge", "ffm-edge-spin", "ffm-edge-stp",
            "netty-epoll", "netty-epoll-spin");

    static void section(Path in, Path out, List<Report.Row> all, StringBuilder h) throws IOException {
        List<Report.Row> rows = all.stream()
                .filter(r -> ORDER.contains(r.server()) && r.size() == 64 && r.depth() == 1 && r.connections() <= 16).toList();
        if (rows.stream().noneMatch(r -> Servers.SPINNING.contains(r.server()))) return;
        List<String> servers = ORDER.stream().filter(s -> rows.stream().anyMatch(r -> r.server().equals(s))).toList();
        List<String> cells = new ArrayList<>();
        for (Report.Row r : rows) if (!cells.contains(r.cellName())) cells.add(r.cellName());
        Map<String, Double> idle = idle(in);

        h.append("<h2>Wait strategies: blocking vs spinning (lower latency for CPU)</h2>\n")
                .append("<p><code>-spin</code> servers never sleep: the C server calls <code>epoll_wait(..., 0)</code>, ffmreactor runs ")
                .append("<code>--wait spin</code>, Netty epoll uses its busy-wait select strategy. <code>ffm-edge-stp</code> is ffmreactor ")
                .append("with <code>--wait ").append(Servers.STP).append("</code>: it spins while traffic keeps coming and blocks after ")
                .append("that long without any. A spinner's CPU per round trip includes its spinning, so it is not comparable with the ")
                .append("blocking servers' (those are in the sections above). Idle CPU: the server process's run time over 10 s with ")
                .append("no traffic, after a short burst; a spinner is bounded by the core it gets on a shared machine.</p>\n");
        h.append(Report.png(Report.byServer("p50 round-trip latency (us, lower is better)", "us", rows, servers, cells,
                r -> r.num("p50Nanos") / 1e3), out, "wait-p50"));
        h.append(Report.png(Report.byServer("p99 round-trip latency (us, lower is better)", "us", rows, servers, cells,
                Report.Row::p99Us), out, "wait-p99"));
        if (!idle.isEmpty()) {
            CategoryChart ch = new CategoryChartBuilder().width(1100).height(380)
                    .title("Idle CPU over 10 s with no traffic (% of one core, lower is better)").yAxisTitle("% of a core").build();
            Report.style(ch);
            for (var e : idle.entrySet()) {
                ch.addSeries(e.getKey(), List.of("idle"), List.of(e.getValue()))
                        .setFillColor(Report.COLORS.getOrDefault(e.getKey(), Color.GRAY));
            }
            h.append(Report.png(ch, out, "wait-idle-cpu"));
        }
        h.append("<table><tr><th>cell</th><th>server</th><th>round trips/s</th><th>p50 us</th><th>p99 us</th><th>p99.9 us</th>")
                .append("<th>CPU us/rt</th><th>p50 x C</th><th>p50 x C spin</th><th>p50 x ffm spin</th><th>idle CPU %</th></tr>\n");
        for (String cell : cells) {
            Report.Row c = find(rows, "c-epoll", cell), cs = find(rows, "c-epoll-spin", cell), fs = find(rows, "ffm-edge-spin", cell);
            for (String s : servers) {
                Report.Row r = find(rows, s, cell);
                if (r == null) continue;
                double p50 = r.num("p50Nanos");
                h.append("<tr><td>").append(cell).append("</td><td>").append(s).append("</td>")
                        .append(Report.td(r.rtps(), "%,.0f")).append(Report.td(p50 / 1e3, "%.1f"))
                        .append(Report.td(r.p99Us(), "%.1f")).append(Report.td(r.num("p999Nanos") / 1e3, "%.1f"))
                        .append(Report.td(r.cpuUs(), "%.3f"))
                        .append(target(p50, c, s.equals("ffm-edge-spin") ? 0.35 : Double.NaN))
                        .append(target(p50, cs, s.equals("ffm-edge-spin") ? 1.1 : Double.NaN))
                        .append(target(p50, fs, s.equals("ffm-edge-stp") ? 1.2 : Double.NaN));
                Double i = idle.get(s);
                h.append(i == null ? "<td>&ndash;</td>" : s.equals("ffm-edge-stp")
                        ? "<td class=\"" + (i < 1 ? "ok" : "miss") + "\">" + String.format(Locale.ROOT, "%.2f", i) + "</td>"
                        : Report.td(i, "%.2f"));
                h.append("</tr>\n");
            }
        }
        h.append("</table><p>Targets (red when missed): ffm-edge-spin p50 &le; 0.35&times; the blocking C server's and &le; ")
                .append("1.1&times; the spinning C server's; ffm-edge-stp p50 &le; 1.2&times; ffm-edge-spin's under traffic and ")
                .append("idle CPU &lt; 1 %.</p>\n");
    }

    private static Report.Row find(List<Report.Row> rows, String server, String cell) {
        for (Report.Row r : rows) if (r.server().equals(server) && r.cellName().equals(cell)) return r;
        return null;
    }

    /** {@code p50 / base's p50}; coloured when {@code target} applies to this row. */
    private static String target(double p50, Report.Row base, double target) {
        if (base == null) return "<td>&ndash;</td>";
        double r = p50 / base.num("p50Nanos");
        if (Double.isNaN(r) || Double.isInfinite(r)) return "<td>&ndash;</td>";
        String cls = Double.isNaN(target) ? "" : r <= target ? " class=\"ok\"" : " class=\"miss\"";
        return "<td" + cls + ">" + String.format(Locale.ROOT, "%.2f", r) + "</td>";
    }

    /** Server -> idle CPU percent, in the order measured; empty when the run has no idle.jsonl. */
    static Map<String, Double> idle(Path in) throws IOException {
        Map<String, Double> m = new LinkedHashMap<>();
        Path f = in.resolve("idle.jsonl");
        if (!Files.exists(f)) return m;
        for (String l : Files.readAllLines(f)) {
            if (l.isBlank()) continue;
            JsonObject o = JsonParser.parseString(l).getAsJsonObject();
            m.put(o.get("server").getAsString(), o.get("cpuPercent").getAsDouble());
        }
        return m;
    }
}
