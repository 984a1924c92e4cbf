package io.github.ffmreactor.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The trigger profile's table, from JMH's JSON: per cell (connections x depth) and per backend,
 * each of {@link PerRoundTrip}'s secondary results for edge, level and oneshot side by side (and
 * the level-only poll and select), the ratios edge/level and oneshot/level with their confidence
 * intervals, and one verdict line per backend that has edge triggering.
 *
 * <p>A value is JMH's own score and error (99.9 %); a value whose error is over {@link #BOUND} of
 * it is marked inconclusive, and a verdict on it says so. A ratio's interval is the delta method's
 * over the two series of iterations (all forks), with Welch's degrees of freedom, at 99.9 % too.
 */
final class TriggerTable {
    private TriggerTable() {}

    /** An error above this fraction of its score makes the score inconclusive. */
    static final double BOUND = 0.10;
    /** Errors below this (per round trip, in the metric's unit) are never inconclusive. */
    static final double FLOOR = 0.005;
    static final double CONFIDENCE = 0.999;
    /** Why a score has no error: JMH gives none under three iterations. */
    static final String FEW = "JMH gives none under 3 iterations";

    /** Rows: the secondary result (or "score"), its label, and its format. */
    record Row(String metric, String label, String format) {}

    static final List<Row> ROWS = List.of(
            new Row("waitsPerRt", "waits", "%.3f"), new Row("eventsPerRt", "events", "%.3f"),
            new Row("readsPerRt", "reads", "%.3f"), new Row("writesPerRt", "writes", "%.3f"),
            new Row("eagainsPerRt", "EAGAINs", "%.3f"), new Row("ctlPerRt", "ctl calls", "%.3f"),
            new Row("carriedPerRt", "carried", "%.3f"), new Row("syscallsPerRt", "loop syscalls", "%.3f"),
            new Row("cpuUsPerRt", "CPU us", "%.3f"), new Row("userUsPerRt", "user us", "%.3f"),
            new Row("sysUsPerRt", "sys us", "%.3f"), new Row("score", "round trips/s", "%,.0f"));

    /** A backend and its servers by trigger mode (absent modes are null). */
    record Backend(String name, String edge, String level, String oneshot) {}

    static final List<Backend> BACKENDS = List.of(
            new Backend("epoll", "ffm-edge", "ffm-level", "ffm-oneshot"),
            new Backend("kqueue", "ffm-kqueue-edge", "ffm-kqueue-level", "ffm-kqueue-oneshot"),
            new Backend("poll", null, "ffm-poll", null),
            new Backend("select", null, "ffm-select", null));

    /** The trigger profile's servers, in table order. */
    static List<String> servers() {
        List<String> r = new ArrayList<>();
        for (Backend b : BACKENDS) for (String s : new String[] {b.edge, b.level, b.oneshot}) if (s != null) r.add(s);
        return r;
    }

    /** One metric's iterations: JMH's score and error, and the raw values (every fork's iterations). */
    @SuppressWarnings("ArrayRecordComponent") // read once for a table: never compared, hashed or mutated
    record Series(double score, double error, double[] raw) {
        static final Series NONE = new Series(Double.NaN, Double.NaN, new double[0]);

        /**
         * Whether the error is over {@link #BOUND} of the score (and over {@link #FLOOR}, so that
         * a counter near zero, 0.001 ± 0.0005 EAGAINs, is not called inconclusive).
         */
        boolean inconclusive() {
            return !Double.isNaN(error) && Math.abs(error) > Math.max(BOUND * Math.abs(score), FLOOR);
        }

        double mean() {
            double s = 0;
            for (double v : raw) s += v;
            return s / raw.length;
        }

        double variance() {
            double m = mean(), s = 0;
            for (double v : raw) s += (v - m) * (v - m);
            return raw.length < 2 ? Double.NaN : s / (raw.length - 1);
        }

        String format(String fmt) {
            if (Double.isNaN(score)) return "–";
            String v = String.format(Locale.ROOT, fmt, score);
            if (Double.isNaN(error)) return v;
            String e = String.format(Locale.ROOT, " ± " + fmt, error);
            return v + e + (inconclusive() ? " (inconclusive)" : "");
        }
    }

    /** A ratio a/b and its interval; NaN bounds where it has none (fewer than two iterations). */
    record Ratio(double value, double low, double high) {
        static final Ratio NONE = new Ratio(Double.NaN, Double.NaN, Double.NaN);

        boolean spansOne() {
            return !(high < 1) && !(low > 1);
        }

        String format() {
            if (Double.isNaN(value)) return "–";
            String v = String.format(Locale.ROOT, "%.2f", value);
            return Double.isNaN(low) ? v : v + String.format(Locale.ROOT, " (%.2f–%.2f)", low, high);
        }
    }

    /** The ratio of two series' means, its 99.9 % interval by the delta method (Welch's degrees of freedom). */
    static Ratio ratio(Series a, Series b) {
        if (a.raw.length == 0 || b.raw.length == 0) return Ratio.NONE;
        double ma = a.mean(), mb = b.mean();
        if (mb == 0 || Double.isNaN(ma) || Double.isNaN(mb)) return Ratio.NONE;
        double r = ma / mb;
        if (a.raw.length < 2 || b.raw.length < 2) return new Ratio(r, Double.NaN, Double.NaN);
        double va = a.variance() / a.raw.length, vb = b.variance() / b.raw.length;
        // Var(a/b) ~ (va + r^2 vb) / mb^2 for independent a and b.
        double se = Math.sqrt(va + r * r * vb) / Math.abs(mb);
        if (se == 0) return new Ratio(r, r, r);
        double df = Math.pow(va + r * r * vb, 2)
                / (va * va / (a.raw.length - 1) + Math.pow(r * r * vb, 2) / (b.raw.length - 1));
        double t = new TDistribution(Math.max(1, df)).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
        return new Ratio(r, r - t * se, r + t * se);
    }

    /** JMH's JSON results of EchoBench, by cell key ("connections|size|depth") and server. */
    static Map<String, Map<String, JsonObject>> byCell(List<JsonObject> results) {
        Map<String, Map<String, JsonObject>> cells = new LinkedHashMap<>();
        for (JsonObject r : results) {
            if (!r.get("benchmark").getAsString().endsWith("EchoBench.roundTrips")) continue;
            JsonObject p = r.getAsJsonObject("params");
            String key = p.get("connections").getAsString() + "|" + p.get("size").getAsString() + "|" + p.get("depth").getAsString();
            cells.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(p.get("server").getAsString(), r);
        }
        return cells;
    }

    /** One metric of one result ({@code score}: the primary), or {@link Series#NONE}. */
    static Series series(JsonObject result, String metric) {
        if (result == null) return Series.NONE;
        JsonObject m;
        if (metric.equals("score")) m = result.getAsJsonObject("primaryMetric");
        else {
            JsonObject sec = result.getAsJsonObject("secondaryMetrics");
            if (sec == null || !sec.has(metric)) return Series.NONE;
            m = sec.getAsJsonObject(metric);
        }
        List<Double> raw = new ArrayList<>();
        if (m.has("rawData")) {
            for (JsonElement fork : m.getAsJsonArray("rawData")) {
                for (JsonElement v : (JsonArray) fork) raw.add(Report.parse(v));
            }
        }
        raw.removeIf(v -> v.isNaN());
        return new Series(Report.parse(m.get("score")), Report.parse(m.get("scoreError")),
                raw.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** How many forks a result's secondary {@code metric} has iterations of (0 without it). */
    static int forks(JsonObject result, String metric) {
        JsonObject sec = result == null ? null : result.getAsJsonObject("secondaryMetrics");
        if (sec == null || !sec.has(metric) || !sec.getAsJsonObject(metric).has("rawData")) return 0;
        return sec.getAsJsonObject(metric).getAsJsonArray("rawData").size();
    }

    /** Each fork's mean of the secondary {@code metric}, in fork order ("15.296, 14.710"); "–" without it. */
    static String forkMeans(JsonObject result, String metric, String fmt) {
        if (forks(result, metric) == 0) return "–";
        List<String> means = new ArrayList<>();
        for (JsonElement fork : result.getAsJsonObject("secondaryMetrics").getAsJsonObject(metric).getAsJsonArray("rawData")) {
            double sum = 0;
            int n = 0;
            for (JsonElement v : (JsonArray) fork) {
                double d = Report.parse(v);
                if (Double.isNaN(d)) continue;
                sum += d;
                n++;
            }
            if (n > 0) means.add(String.format(Locale.ROOT, fmt, sum / n));
        }
        return means.isEmpty() ? "–" : String.join(", ", means);
    }

    /** The markdown: one section per cell, its table and its verdict lines. */
    static String markdown(List<JsonObject> results) {
        return markdown(results, Map.of());
    }

    /**
     * The same, with a line per cell saying in which order its forks ran, round by round, where
     * {@code orders} (from {@link Rounds#orders}) has the cell, every round ran each of its servers
     * once, and there are as many rounds as each result has forks (else the order file is not this
     * JSON's, and the line is left out).
     */
    static String markdown(List<JsonObject> results, Map<String, List<List<String>>> orders) {
        StringBuilder b = new StringBuilder();
        for (var cell : byCell(results).entrySet()) {
            String[] k = cell.getKey().split("\\|", -1);
            Map<String, JsonObject> rs = cell.getValue();
            b.append("### ").append(Report.Row.cellName(Integer.parseInt(k[0]), Integer.parseInt(k[1]), Integer.parseInt(k[2])))
                    .append("\n\n");
            List<String> cols = new ArrayList<>();
            for (String s : servers()) if (rs.containsKey(s)) cols.add(s);
            List<Backend> paired = BACKENDS.stream().filter(x -> x.edge != null && rs.containsKey(x.edge) && rs.containsKey(x.level)).toList();
            b.append("| per round trip |");
            StringBuilder rule = new StringBuilder("|---|");
            for (String s : cols) {
                b.append(' ').append(s).append(" |");
                rule.append("---:|");
            }
            for (Backend x : paired) {
                b.append(' ').append(x.name).append(" edge/level |");
                rule.append("---:|");
                if (rs.containsKey(x.oneshot)) {
                    b.append(' ').append(x.name).append(" oneshot/level |");
                    rule.append("---:|");
                }
            }
            b.append('\n').append(rule).append('\n');
            for (Row row : ROWS) {
                b.append("| ").append(row.label).append(" |");
                for (String s : cols) b.append(' ').append(series(rs.get(s), row.metric).format(row.format)).append(" |");
                for (Backend x : paired) {
                    Series lv = series(rs.get(x.level), row.metric);
                    b.append(' ').append(ratio(series(rs.get(x.edge), row.metric), lv).format()).append(" |");
                    if (rs.containsKey(x.oneshot)) b.append(' ').append(ratio(series(rs.get(x.oneshot), row.metric), lv).format()).append(" |");
                }
                b.append('\n');
            }
            if (rs.values().stream().anyMatch(r -> forks(r, "cpuUsPerRt") > 1)) {
                // JMH's interval pools the forks' iterations: a difference between server starts
                // that stays for a whole fork shows here, not in the ± above.
                b.append("| CPU us, each fork |");
                for (String s : cols) b.append(' ').append(forkMeans(rs.get(s), "cpuUsPerRt", "%.3f")).append(" |");
                for (Backend x : paired) b.append(rs.containsKey(x.oneshot) ? " | |" : " |");
                b.append('\n');
            }
            b.append('\n');
            for (Backend x : paired) {
                b.append("verdict ").append(x.name).append(", ").append(k[0]).append(" conn, depth ").append(k[2]).append(": ")
                        .append(verdict(rs.get(x.edge), rs.get(x.level))).append("\n");
            }
            List<List<String>> rounds = orders.get(cell.getKey());
            if (rounds != null && rounds.stream().allMatch(rd -> rd.size() == rs.size() && Set.copyOf(rd).equals(rs.keySet()))
                    && rs.values().stream().allMatch(r -> r.has("forks") && r.get("forks").getAsInt() == rounds.size())) {
                b.append("forks interleaved, one per server and round, in this order:");
                for (int i = 0; i < rounds.size(); i++) b.append(i == 0 ? " r" : "; r").append(i).append(' ').append(String.join(", ", rounds.get(i)));
                b.append('\n');
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** "edge saves N syscalls per round trip; CPU ..." for one backend in one cell. */
    static String verdict(JsonObject edge, JsonObject level) {
        Series se = series(edge, "syscallsPerRt"), sl = series(level, "syscallsPerRt");
        String sys;
        Ratio rs = ratio(se, sl);
        if (Double.isNaN(se.score) || Double.isNaN(sl.score)) sys = "syscalls not counted";
        else if (Double.isNaN(se.error) || Double.isNaN(sl.error)) {
            sys = String.format(Locale.ROOT, "syscalls per round trip %.3f (edge) vs %.3f (level), no error (%s)", se.score, sl.score, FEW);
        } else if (se.inconclusive() || sl.inconclusive()) sys = "syscalls per round trip inconclusive (error over " + pct(BOUND) + " of the score)";
        else if (rs.spansOne()) sys = String.format(Locale.ROOT, "same syscalls per round trip within noise (%.3f vs %.3f)", se.score, sl.score);
        else {
            double saved = sl.score - se.score;
            sys = String.format(Locale.ROOT, saved > 0 ? "edge saves %.3f syscalls per round trip (%.3f vs %.3f)"
                    : "edge makes %.3f more syscalls per round trip (%.3f vs %.3f)", Math.abs(saved), se.score, sl.score);
        }
        Series ce = series(edge, "cpuUsPerRt"), cl = series(level, "cpuUsPerRt");
        Ratio rc = ratio(ce, cl);
        String cpu;
        if (Double.isNaN(ce.score) || Double.isNaN(cl.score)) cpu = "CPU not measured";
        else if (Double.isNaN(ce.error) || Double.isNaN(cl.error)) {
            cpu = String.format(Locale.ROOT, "CPU edge %.2fx level, no error (%s)", ce.score / cl.score, FEW);
        } else if (ce.inconclusive() || cl.inconclusive()) {
            cpu = String.format(Locale.ROOT, "CPU inconclusive: error %s (edge) and %s (level) of the score, bound %s",
                    pct(ce.error / ce.score), pct(cl.error / cl.score), pct(BOUND));
        } else if (rc.spansOne()) cpu = String.format(Locale.ROOT, "CPU difference within noise (edge %.2fx level, CI %.2f–%.2f)", rc.value, rc.low, rc.high);
        else cpu = String.format(Locale.ROOT, "CPU edge %.2fx level, CI %.2f–%.2f", rc.value, rc.low, rc.high);
        return sys + "; " + cpu;
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * f);
    }
}
