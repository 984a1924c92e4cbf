package io.github.ffmreactor.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.openjdk.jmh.util.ListStatistics;

/**
 * JMH JSON results of separate runs pooled into the file JMH would have written had it run all
 * their forks in one run: results of the same benchmark, mode and parameters become one, whose
 * {@code forks} is the sum, whose {@code rawData} lists every part's forks in the order given, and
 * whose score, error, interval and percentiles are computed again over all those iterations.
 *
 * <p>That is how JMH pools forks ({@code RunResult#getAggregatedResult}: every iteration of every
 * fork in one list), and the statistics are JMH's own {@link ListStatistics}: the score is the
 * mean, the error the half-width of the 99.9 % Student-t interval. Parts that differ in anything
 * but their forks (iterations, times, JVM, JVM options, units, secondary results) are refused:
 * pooling them would make a result JMH could not have produced.
 */
final class JmhMerge {
    private JmhMerge() {}

    static final double CONFIDENCE = 0.999;
    /** The percentile ranks JMH writes under {@code scorePercentiles}. */
    private static final double[] PERCENTILES = {0.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 99.999, 99.9999, 100.0};
    /** What every part of one result must agree on (benchmark, mode and params are its key). */
    private static final List<String> SAME = List.of("jmhVersion", "threads", "jvm", "jvmArgs", "jdkVersion", "vmName",
            "vmVersion", "warmupIterations", "warmupTime", "warmupBatchSize", "measurementIterations", "measurementTime",
            "measurementBatchSize");

    /** The JSON files' results pooled, then written to {@code out} in JMH's layout. */
    static void files(List<Path> in, Path out) throws IOException {
        List<JsonObject> all = new ArrayList<>();
        for (Path p : in) {
            for (JsonElement e : JsonParser.parseString(Files.readString(p)).getAsJsonArray()) all.add(e.getAsJsonObject());
        }
        JsonArray a = new JsonArray();
        for (JsonObject r : merge(all)) a.add(r);
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(a) + "\n",
                StandardCharsets.UTF_8);
    }

    /** The results pooled by (benchmark, mode, params), in the order each key first appears. */
    static List<JsonObject> merge(List<JsonObject> results) {
        Map<String, List<JsonObject>> groups = new LinkedHashMap<>();
        for (JsonObject r : results) groups.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
        List<JsonObject> out = new ArrayList<>();
        for (var g : groups.entrySet()) out.add(pool(g.getKey(), g.getValue()));
        return out;
    }

    static String key(JsonObject r) {
        Map<String, String> params = new TreeMap<>();
        JsonObject p = r.getAsJsonObject("params");
        if (p != null) for (var e : p.entrySet()) params.put(e.getKey(), e.getValue().getAsString());
        return r.get("benchmark").getAsString() + " " + r.get("mode").getAsString() + " " + params;
    }

    private static JsonObject pool(String key, List<JsonObject> parts) {
        JsonObject first = parts.get(0);
        int forks = 0;
        for (JsonObject p : parts) {
            for (String f : SAME) {
                if (!Objects.equals(first.get(f), p.get(f))) {
                    throw new IllegalArgumentException(key + ": cannot pool forks that differ in " + f + " (" + first.get(f) + " vs " + p.get(f) + ")");
                }
            }
            if (!secondaries(first).keySet().equals(secondaries(p).keySet())) {
                throw new IllegalArgumentException(key + ": cannot pool forks with different secondary results ("
                        + secondaries(first).keySet() + " vs " + secondaries(p).keySet() + ")");
            }
            forks += p.get("forks").getAsInt();
        }
        JsonObject m = first.deepCopy();
        m.addProperty("forks", forks);
        m.add("primaryMetric", metric(key, parts.stream().map(p -> p.getAsJsonObject("primaryMetric")).toList()));
        JsonObject sec = new JsonObject();
        for (String name : secondaries(first).keySet()) {
            sec.add(name, metric(key + " " + name, parts.stream().map(p -> secondaries(p).getAsJsonObject(name)).toList()));
        }
        m.add("secondaryMetrics", sec);
        return m;
    }

    private static JsonObject secondaries(JsonObject r) {
        JsonObject s = r.getAsJsonObject("secondaryMetrics");
        return s == null ? new JsonObject() : s;
    }

    /** One metric over all the parts' forks, with JMH's statistics. */
    private static JsonObject metric(String what, List<JsonObject> parts) {
        ListStatistics st = new ListStatistics();
        JsonArray raw = new JsonArray();
        JsonElement unit = parts.get(0).get("scoreUnit");
        for (JsonObject p : parts) {
            if (!p.has("rawData")) {
                throw new IllegalArgumentException(what + ": no rawData to pool (a sample-time result, or JMH run with -Djmh.json.rawData=false)");
            }
            if (!Objects.equals(unit, p.get("scoreUnit"))) {
                throw new IllegalArgumentException(what + ": cannot pool scores in " + unit + " and " + p.get("scoreUnit"));
            }
            for (JsonElement fork : p.getAsJsonArray("rawData")) {
                raw.add(fork.deepCopy());
                for (JsonElement v : fork.getAsJsonArray()) st.addValue(number(v));
            }
        }
        JsonObject m = new JsonObject();
        m.add("score", emit(st.getMean()));
        m.add("scoreError", emit(st.getMeanErrorAt(CONFIDENCE)));
        JsonArray ci = new JsonArray();
        for (double d : st.getConfidenceIntervalAt(CONFIDENCE)) ci.add(emit(d));
        m.add("scoreConfidence", ci);
        JsonObject pct = new JsonObject();
        for (double p : PERCENTILES) pct.add(String.valueOf(p), emit(st.getPercentile(p)));
        m.add("scorePercentiles", pct);
        m.add("scoreUnit", unit);
        m.add("rawData", raw);
        return m;
    }

    /** A number as JMH writes it: non-finite values as the strings "NaN", "+INF", "-INF". */
    static double number(JsonElement v) {
        String s = v.getAsString();
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+INF" -> Double.POSITIVE_INFINITY;
            case "-INF" -> Double.NEGATIVE_INFINITY;
            default -> v.getAsDouble();
        };
    }

    static JsonPrimitive emit(double d) {
        if (Double.isNaN(d)) return new JsonPrimitive("NaN");
        if (Double.isInfinite(d)) return new JsonPrimitive(d > 0 ? "+INF" : "-INF");
        return new JsonPrimitive(d);
    }
}
