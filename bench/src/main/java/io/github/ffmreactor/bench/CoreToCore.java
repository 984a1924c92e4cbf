package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code core-to-core [--seconds 20] [--cpus 0,1]}: how long a cache line takes to go from one CPU
 * to another and back, each second ({@code c/core_to_core.c}, built with gcc on first use). An
 * echo round trip between a client and a server on different CPUs pays this several times. On a
 * virtual machine the host may move the vCPUs between cores that share a cache and cores that do
 * not: here 88 or 460 ns, switching every few seconds, and every cross-core benchmark (the C
 * server's included) switched between two speeds with it. Run it before trusting a comparison
 * made with client and server on different CPUs; the verdict says whether the machine held still.
 */
final class CoreToCore {
    private CoreToCore() {}

    static final String SOURCE = "core_to_core.c";
    /** Seconds whose latency differ by more than this factor: the machine did not hold still. */
    static final double UNSTEADY = 1.5;

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("seconds", "cpus"));
        int seconds = o.intValue("seconds", 20, 1, 3600);
        String[] cpus = o.get("cpus", "0,1").split(",", -1);
        if (cpus.length != 2 || !cpus[0].matches("\\d+") || !cpus[1].matches("\\d+") || cpus[0].equals(cpus[1])) {
            throw new Opts.Bad("--cpus must be two different CPU numbers, e.g. 0,1; got '" + o.get("cpus", "") + "'");
        }
        if (CServer.gccPath() == null) {
            System.out.println("core-to-core: skipped: no gcc on PATH to build bench/src/main/c/" + SOURCE);
            return 0;
        }
        Path bin = CServer.binary(SOURCE);
        Process p = new ProcessBuilder(bin.toString(), Integer.toString(seconds), cpus[0], cpus[1])
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("core_to_core did not finish in " + (seconds + 30) + " s");
        }
        if (p.exitValue() != 0) throw new IOException("core_to_core failed (exit " + p.exitValue() + ") on CPUs " + cpus[0] + "," + cpus[1]);
        double[] ns = nanos(out);
        System.out.println(summary(ns, cpus[0], cpus[1]));
        return 0;
    }

    /** The probe's output (thousands of round trips, each second) as ns per round trip, each second. */
    static double[] nanos(String out) throws IOException {
        String[] f = out.isBlank() ? new String[0] : out.trim().split("\\s+");
        double[] ns = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            long k;
            try {
                k = Long.parseLong(f[i]);
            } catch (NumberFormatException e) {
                throw new IOException("core_to_core printed '" + out + "'", e);
            }
            if (k <= 0) throw new IOException("core_to_core printed a second with no round trip: '" + out + "'");
            ns[i] = 1e6 / k;
        }
        if (ns.length == 0) throw new IOException("core_to_core printed nothing");
        return ns;
    }

    /** Each second's ns per round trip, the median and range, and whether it held still. */
    static String summary(double[] ns, String a, String b) {
        List<String> each = new ArrayList<>();
        for (double v : ns) each.add(String.format(Locale.ROOT, "%.0f", v));
        double[] s = ns.clone();
        Arrays.sort(s);
        double min = s[0], max = s[s.length - 1], median = s[s.length / 2];
        String verdict = max / min > UNSTEADY
                ? String.format(Locale.ROOT, "UNSTEADY: from %.0f to %.0f ns; cross-core benchmarks on this machine switch between speeds with it "
                        + "(compare in short interleaved rounds, or run client and server on one CPU: the trigger profile's --pin 0:0)", min, max)
                : String.format(Locale.ROOT, "steady within %.0f %%", (max / min - 1) * 100);
        return String.format(Locale.ROOT, "core-to-core CPU %s <-> CPU %s: ns per round trip, each second: %s%n  median %.0f ns, %s",
                a, b, String.join(" ", each), median, verdict);
    }
}
