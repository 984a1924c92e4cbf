package io.github.ffmreactor.bench;

import io.github.ffmreactor.cli.KvHostile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code kv-hostile}: issue 20's hostile clients ({@link KvHostile}: a trickled 40,000-argument
 * MGET, 20 non-readers of a 16 MiB value, {@code *1048576} one argument per packet) against
 * redis-server and kv side by side, each case on a fresh server pinned to one core, while a second
 * connection PINGs every millisecond. Prints, per case and server, the worst and p99 PING over
 * the rounds (the median round's) and the server's RSS growth. Bounded: each case ends when its
 * reply is in (a minute at most per read), the bigget case after 2 s.
 */
final class KvHostileBench {
    private KvHostileBench() {}

    static final List<String> SERVERS = List.of("redis-server", "ffm-kv-level", "ffm-kv-edge");

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("rounds", "cases", "servers", "core", "warmup"));
        int rounds = o.intValue("rounds", 1, 1, 20);
        int core = o.intValue("core", 0, 0, Runtime.getRuntime().availableProcessors() - 1);
        // kv as a latency-minded user starts it: compiled before its port opens (kv --warmup; 0: cold).
        List<String> kvArgs = List.of("--warmup", o.get("warmup", "2s"));
        List<String> cases = Arrays.asList(o.get("cases", String.join(",", KvHostile.CASES)).split(",", -1));
        List<String> servers = Arrays.asList(o.get("servers", String.join(",", SERVERS)).split(",", -1));
        for (String c : cases) if (!KvHostile.CASES.contains(c)) throw new Opts.Bad("--cases: no case '" + c + "' (" + KvHostile.CASES + ")");
        for (String s : servers) if (!SERVERS.contains(s)) throw new Opts.Bad("--servers: no server '" + s + "' (" + SERVERS + ")");
        String missing = KvBench.missingTools();
        if (missing != null) {
            System.out.println("kv-hostile: skipped: " + missing);
            return 0;
        }
        List<String[]> rows = new ArrayList<>();
        for (String c : cases) {
            for (String s : servers) {
                List<KvHostile.Result> rs = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    try (KvBench.Server server = KvBench.Server.start(s, core, List.of(), kvArgs)) {
                        KvHostile.Result x = KvHostile.run(c, new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port), server.pid);
                        System.out.printf(Locale.ROOT, "kv-hostile: %-13s round %d %s%n", s, r + 1, x);
                        rs.add(x);
                    }
                }
                rs.sort((a, b) -> Double.compare(a.worstMs(), b.worstMs()));
                KvHostile.Result m = rs.get(rs.size() / 2);
                rows.add(new String[] {c, s, String.format(Locale.ROOT, "%.2f", m.worstMs()), String.format(Locale.ROOT, "%.2f", m.p99Ms()),
                    String.format(Locale.ROOT, "%.2f", m.p50Ms()), Integer.toString(m.pings()), m.growthMiB() < 0 ? "?" : Long.toString(m.growthMiB()),
                    Long.toString(m.millis())});
            }
        }
        System.out.printf(Locale.ROOT, "%n%-8s %-13s %10s %9s %9s %7s %11s %8s%n", "case", "server", "worst ms", "p99 ms", "p50 ms",
                "pings", "RSS +MiB", "run ms");
        for (String[] r : rows) System.out.printf(Locale.ROOT, "%-8s %-13s %10s %9s %9s %7s %11s %8s%n", (Object[]) r);
        return 0;
    }
}
