package io.github.ffmreactor.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Interleaved rounds turned into markdown: per cell and server, the median over rounds of each
 * metric, and the median and spread (min–max) of its ratio to the baseline server <em>of the same
 * round</em> (measured minutes apart at most, so the machine's drift cancels out of the ratio).
 */
final class RatioTable {
    private RatioTable() {}

    /** One measured run: which round it belonged to, and what it measured. */
    record Run(int round, Measurement m) {
        String cell() {
            return m.cell();
        }
    }

    /** A column: how to read it from a run, its header and number format, and whether it gets a ratio. */
    record Metric(String header, String format, boolean ratio, ToDoubleFunction<Measurement> value) {}

    static final List<Metric> METRICS = List.of(
            new Metric("CPU us/rt", "%.3f", true, RatioTable::cpuMicros),
            new Metric("user us/rt", "%.3f", true, Measurement::userMicrosPerRoundTrip),
            new Metric("rt/s", "%,.0f", true, Measurement::roundTripsPerSecond),
            new Metric("p50 us", "%.1f", true, m -> m.p50Nanos() / 1e3),
            new Metric("sys/rt", "%.3f", true, Measurement::syscallsPerRoundTrip),
            new Metric("io_uring_enter/rt", "%.3f", false, Measurement::uringEntersPerRoundTrip),
            new Metric("alloc B/rt", "%.2f", false, Measurement::allocatedPerRoundTrip));

    /** The server's whole CPU per round trip: the scheduler's exact run time, else utime + stime. */
    static double cpuMicros(Measurement m) {
        double run = m.runMicrosPerRoundTrip();
        return Double.isNaN(run) ? m.userMicrosPerRoundTrip() + m.sysMicrosPerRoundTrip() : run;
    }

    /** The median of the non-NaN values (the mean of the middle two for an even count); NaN if none. */
    static double median(double[] xs) {
        double[] v = Arrays.stream(xs).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Median, min and max of a metric's ratio to the baseline, round by round. */
    record Spread(double median, double min, double max, int n) {
        static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);

        String format() {
            if (n == 0) return "–";
            String m = String.format(Locale.ROOT, "%.2f", median);
            return n == 1 ? m : m + String.format(Locale.ROOT, " (%.2f–%.2f)", min, max);
        }
    }

    /**
     * The ratio {@code metric(server) / metric(baseline)} in every round where both have a number,
     * summarised; {@link Spread#NONE} when no round has both.
     */
    static Spread ratio(List<Run> cellRuns, String server, String baseline, ToDoubleFunction<Measurement> metric) {
        Map<Integer, Double> base = new LinkedHashMap<>();
        for (Run r : cellRuns) if (r.m().server().equals(baseline)) base.put(r.round(), metric.applyAsDouble(r.m()));
        List<Double> ratios = new ArrayList<>();
        for (Run r : cellRuns) {
            if (!r.m().server().equals(server)) continue;
            Double b = base.get(r.round());
            double v = metric.applyAsDouble(r.m());
            if (b == null || Double.isNaN(b) || b == 0 || Double.isNaN(v)) continue;
            ratios.add(v / b);
        }
        if (ratios.isEmpty()) return Spread.NONE;
        double[] a = ratios.stream().mapToDouble(Double::doubleValue).toArray();
        return new Spread(median(a), Arrays.stream(a).min().orElseThrow(), Arrays.stream(a).max().orElseThrow(), a.length);
    }

    /** The median over a server's runs in a cell of a metric, NaN if none measured it. */
    static double median(List<Run> cellRuns, String server, ToDoubleFunction<Measurement> metric) {
        return median(cellRuns.stream().filter(r -> r.m().server().equals(server)).mapToDouble(r -> metric.applyAsDouble(r.m())).toArray());
    }

    /** The cells in the order they were first measured. */
    static List<String> cells(List<Run> runs) {
        List<String> c = new ArrayList<>();
        for (Run r : runs) if (!c.contains(r.cell())) c.add(r.cell());
        return c;
    }

    static List<Run> inCell(List<Run> runs, String cell) {
        return runs.stream().filter(r -> r.cell().equals(cell)).toList();
    }

    /**
     * One markdown table per cell (servers in {@code servers} order, those with no run left out):
     * each metric's median, and for the ratio metrics the ratio to {@code baseline} as
     * "median (min–max)"; a server measured in fewer rounds than the others says so.
     */
    static String cellTables(List<Run> runs, List<String> servers, String baseline) {
        StringBuilder b = new StringBuilder();
        for (String cell : cells(runs)) {
            List<Run> cr = inCell(runs, cell);
            int rounds = (int) cr.stream().mapToInt(Run::round).distinct().count();
            b.append("### ").append(cell).append("\n\n| server |");
            StringBuilder rule = new StringBuilder("|---|");
            for (Metric m : METRICS) {
                b.append(' ').append(m.header()).append(" |");
                rule.append("---:|");
                if (m.ratio()) {
                    b.append(' ').append(shortHeader(m)).append(" × ").append(baseline).append(" |");
                    rule.append("---:|");
                }
            }
            b.append('\n').append(rule).append('\n');
            for (String s : servers) {
                long n = cr.stream().filter(r -> r.m().server().equals(s)).count();
                if (n == 0) continue;
                b.append("| ").append(s);
                if (n < rounds) b.append(" (").append(n).append(" of ").append(rounds).append(" rounds)");
                b.append(" |");
                for (Metric m : METRICS) {
                    b.append(' ').append(num(median(cr, s, m.value()), m.format())).append(" |");
                    if (m.ratio()) b.append(' ').append(s.equals(baseline) ? "1" : ratio(cr, s, baseline, m.value()).format()).append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * The targets at a glance: servers down, cells across, each cell the ratio of {@code metric}
     * to the baseline as "median (min–max)".
     */
    static String summary(List<Run> runs, List<String> servers, String baseline, Metric metric) {
        List<String> cells = cells(runs);
        StringBuilder b = header(shortHeader(metric) + " × " + baseline, cells);
        for (String s : servers) {
            if (runs.stream().noneMatch(r -> r.m().server().equals(s))) continue;
            b.append("| ").append(s).append(" |");
            for (String c : cells) {
                b.append(' ').append(s.equals(baseline) ? "1" : ratio(inCell(runs, c), s, baseline, metric.value()).format()).append(" |");
            }
            b.append('\n');
        }
        return b.append('\n').toString();
    }

    /** A table's first column's title, one column per cell, and the rule under them. */
    private static StringBuilder header(String title, List<String> cells) {
        StringBuilder b = new StringBuilder("| ").append(title).append(" |");
        StringBuilder rule = new StringBuilder("|---|");
        for (String c : cells) {
            b.append(' ').append(c).append(" |");
            rule.append("---:|");
        }
        return b.append('\n').append(rule).append('\n');
    }

    /** Servers down, cells across, each cell the median of an absolute metric (e.g. syscalls per round trip). */
    static String absolute(List<Run> runs, List<String> servers, Metric metric) {
        List<String> cells = cells(runs);
        StringBuilder b = header(metric.header(), cells);
        for (String s : servers) {
            if (runs.stream().noneMatch(r -> r.m().server().equals(s))) continue;
            b.append("| ").append(s).append(" |");
            for (String c : cells) b.append(' ').append(num(median(inCell(runs, c), s, metric.value()), metric.format())).append(" |");
            b.append('\n');
        }
        return b.append('\n').toString();
    }

    static Metric metric(String header) {
        for (Metric m : METRICS) if (m.header().equals(header)) return m;
        throw new IllegalArgumentException("no metric " + header);
    }

    private static String shortHeader(Metric m) {
        int sp = m.header().indexOf(' ');
        return sp > 0 ? m.header().substring(0, sp) : m.header();
    }

    static String num(double v, String fmt) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "–" : String.format(Locale.ROOT, fmt, v);
    }
}
