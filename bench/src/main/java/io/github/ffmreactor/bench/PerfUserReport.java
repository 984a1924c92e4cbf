package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The report's section on {@code bench/perf-user}'s measurements: user CPU per round trip against the C server. */
final class PerfUserReport {
    private PerfUserReport() {}

    /** One {@code bench/perf-user} line: server, connections, user us per round trip. */
    record PerfUser(String server, int connections, double userUs) {}

    private static final Pattern PERF_USER = Pattern.compile(
            "^perf-user (\\S+) (\\d+)c x \\d+B: [0-9.]+ rt/s, user ([0-9.]+) us/rt");

    static List<PerfUser> parsePerfUser(List<String> lines) {
        List<PerfUser> r = new ArrayList<>();
        for (String line : lines) {
            Matcher m = PERF_USER.matcher(line);
            if (m.find()) r.add(new PerfUser(m.group(1), Integer.parseInt(m.group(2)), Double.parseDouble(m.group(3))));
        }
        return r;
    }

    /**
     * The perf-measured user CPU per round trip ({@code perf-user.txt}, written by run-bench where
     * perf works), each server against the C server at the same connection count, against the
     * 1.2x target; what perf-user.txt says instead when it has no measurements.
     */
    static String html(Path in) throws IOException {
        Path f = in.resolve("perf-user.txt");
        if (!Files.exists(f)) return "";
        List<String> lines = Files.readAllLines(f);
        List<PerfUser> all = parsePerfUser(lines);
        StringBuilder h = new StringBuilder("<h2>User CPU per round trip, by perf (lower is better)</h2>\n");
        h.append("<p><code>bench/perf-user</code>: perf <code>cpu-clock:u</code> sampling of the server at 4 kHz over 10 s of ")
                .append("load, one server after the other (not inside the JMH run). The /proc user column above is tick-sampled; ")
                .append("this is the precise one. Target: at most 1.2x the C server.</p>\n");
        if (all.isEmpty()) return h.append("<pre>").append(Report.esc(String.join("\n", lines))).append("</pre>\n").toString();
        h.append("<table><tr><th>server</th><th>connections</th><th>user us/rt</th><th>x C</th><th>&le; 1.2x C</th></tr>\n");
        for (PerfUser p : all) {
            double c = Double.NaN;
            for (PerfUser q : all) if (q.server().equals("c-epoll") && q.connections() == p.connections()) c = q.userUs();
            double x = p.userUs() / c;
            h.append("<tr><td>").append(Report.esc(p.server())).append("</td>").append(Report.td(p.connections(), "%.0f"))
                    .append(Report.td(p.userUs(), "%.3f")).append(Report.td(x, "%.2f"));
            if (p.server().equals("c-epoll") || Double.isNaN(x)) h.append("<td></td>");
            else h.append(x <= 1.2 ? "<td class=\"ok\">met</td>" : "<td class=\"miss\">missed</td>");
            h.append("</tr>\n");
        }
        return h.append("</table>\n").toString();
    }
}
