package io.github.ffmreactor.cli;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.kv.Kv;
import io.github.ffmreactor.kv.KvConfig;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopGroup;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.LoopStats;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code kv}: parses the options, starts the RESP server ({@link Kv}) on one loop or a group, and
 * prints its counters when it stops. {@code kv --train} runs a training load instead (for a JDK
 * ahead-of-time cache, see {@link KvTrain}).
 */
public final class KvServer {
    private KvServer() {}

    static final String WARMUP_SYNTAX = "0|<n>ms|<n>s";
    static final Set<String> OPTIONS;
    static {
        Set<String> o = new HashSet<>(Serve.TCP_OPTIONS);
        o.addAll(List.of("max-bulk", "client-query-buffer-limit", "client-output-buffer-limit", "train-requests",
                "warmup"));
        OPTIONS = Set.copyOf(o);
    }
    /**
     * kv's --wait unless told otherwise: poll for 10 us after the last work before sleeping. At
     * {@code redis-benchmark -P 1 -c 50} a loop that blocks at once slept twice as often as
     * redis-server (41,000 against 22,000 context switches per 200,000 GETs), and each sleep costs
     * the client a wake-up on its own CPU: 0.96x redis-server's requests/s with 0.91x its CPU.
     * With the 10 us spin it slept about as often as redis-server and reached 1.00-1.13x its
     * requests/s with 0.90-0.94x its CPU per request; with one client (nothing to catch) the spin
     * cost 11 % more CPU per request, still under redis-server's. Idle, the loop blocks.
     */
    static final String DEFAULT_WAIT = "spin-then-park:10us";

    static final String USAGE = Serve.TCP_USAGE + " --max-bulk 512MiB --client-query-buffer-limit 1GiB"
            + " --client-output-buffer-limit 32MiB --warmup " + WARMUP_SYNTAX + " [--train [--train-requests 300000]]"
            + " (kv's --wait default: " + DEFAULT_WAIT + ")";

    /** {@code 512MiB}, {@code 64k}, {@code 1G}, {@code 1000}: bytes, with an optional binary unit. */
    static long size(Args a, String name, long dflt, long min, long max) throws Args.BadArgs {
        String v = a.get(name, null);
        if (v == null) return dflt;
        String t = v.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        for (String[] u : new String[][] {{"kib", "10"}, {"mib", "20"}, {"gib", "30"}, {"kb", "10"}, {"mb", "20"},
            {"gb", "30"}, {"k", "10"}, {"m", "20"}, {"g", "30"}, {"b", "0"}}) {
            if (t.endsWith(u[0])) {
                unit = 1L << Integer.parseInt(u[1]);
                t = t.substring(0, t.length() - u[0].length()).strip();
                break;
            }
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new Args.BadArgs("--" + name + " must be a size such as 1048576, 64KiB or 512MiB, got '" + v + "'");
        }
        if (n < min || n > max) throw new Args.BadArgs("--" + name + " must be in " + min + ".." + max + " bytes, got " + n);
        return n;
    }

    /** The longest warm-up {@code --warmup} takes: it delays the listener, so it is kept short. */
    static final Duration MAX_WARMUP = Duration.ofSeconds(60);
    static final Duration DEFAULT_WARMUP = Duration.ZERO;

    /** {@code --warmup}: {@code 0} or {@code off} (none), {@code 500ms}, {@code 2s}; at most {@link #MAX_WARMUP}. */
    static Duration warmup(Args a) throws Args.BadArgs {
        String v = a.get("warmup", null);
        if (v == null) return DEFAULT_WARMUP;
        String t = v.strip().toLowerCase(Locale.ROOT);
        if (t.equals("0") || t.equals("off")) return Duration.ZERO;
        long unit = t.endsWith("ms") ? 1 : t.endsWith("s") ? 1000 : 0;
        Duration d = null;
        if (unit != 0) {
            String n = t.substring(0, t.length() - (unit == 1 ? 2 : 1)).strip();
            if (!n.isEmpty() && n.chars().allMatch(Character::isDigit) && n.length() <= 9) {
                d = Duration.ofMillis(Long.parseLong(n) * unit);
            }
        }
        if (d == null) throw new Args.BadArgs("--warmup must be " + WARMUP_SYNTAX + " (e.g. 500ms or 2s), got '" + v + "'");
        if (d.compareTo(MAX_WARMUP) > 0) throw new Args.BadArgs("--warmup must be at most " + MAX_WARMUP.toSeconds() + "s, got '" + v + "'");
        return d;
    }

    static KvConfig config(Args a) throws Args.BadArgs {
        return new KvConfig(
                size(a, "max-bulk", KvConfig.DEFAULT_MAX_BULK, 1, Integer.MAX_VALUE - (1 << 20)),
                size(a, "client-query-buffer-limit", KvConfig.DEFAULT_QUERY_BUFFER_LIMIT, 1024, Long.MAX_VALUE),
                size(a, "client-output-buffer-limit", KvConfig.DEFAULT_OUTPUT_BUFFER_LIMIT,
                        KvConfig.MIN_OUTPUT_BUFFER_LIMIT, Long.MAX_VALUE));
    }

    /** The words after {@code kv}: {@code --train} is a flag (no value), every other option takes one. */
    static int main(String[] words, PrintStream out) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(words));
        boolean train = rest.remove("--train");
        Args a = Args.parse(rest.toArray(String[]::new), OPTIONS);
        KvConfig config = config(a);
        Kv kv = new Kv(config);
        InetSocketAddress address = Serve.address(a);
        Trigger trigger = Serve.trigger(a);
        LoopOptions options = kv.options(Serve.options(a, LoopOptions.defaults(), DEFAULT_WAIT));
        Duration warmup = warmup(a);
        if (train) {
            if (!warmup.isZero()) throw new Args.BadArgs("--warmup does not go with --train (the training run is the warm-up)");
            return KvTrain.run(config, kv, options, trigger, a.intValue("train-requests", 300_000, 1000, 100_000_000), out);
        }
        if (!warmup.isZero()) {
            // Before the listener opens: a client that connects meets a server that is already compiled.
            long t0 = System.nanoTime();
            long n = KvTrain.warmUp(config, options, trigger, warmup);
            // The warm-up's garbage (about 100 MB of young generation) collected now, not in a
            // pause of 14-20 ms during the first real clients' seconds (measured with -Xlog:gc).
            System.gc();
            out.printf("ffmreactor kv warmed up: %d requests in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
        }
        int loops = a.intValue("loops", 1, 1, 256);
        if (loops == 1) {
            EventLoop loop = EventLoop.open(options);
            Listener listener;
            try {
                listener = loop.listen(address, trigger, kv::handler);
            } catch (Exception e) {
                loop.close();
                throw e;
            }
            kv.port(listener.localAddress().getPort());
            kv.sweepOn(loop);
            Serve.banner("kv", out, listener.localAddress(), loop.backend(), trigger, 1, options.waitStrategy());
            CountDownLatch done = Serve.onSignal(() -> loop.shutdown(Duration.ofSeconds(2)));
            try {
                loop.run();
            } finally {
                stopped(out, loop.stats(), kv);
                done.countDown();
            }
            return Serve.exitCode("kv", loop.terminationCause());
        }
        LoopGroup group = LoopGroup.start(loops, options);
        List<Listener> ls;
        try {
            ls = group.listen(address, trigger, kv::handler);
        } catch (Exception e) {
            group.close();
            throw e;
        }
        kv.port(ls.get(0).localAddress().getPort());
        kv.sweepOn(group.loop(0));
        Serve.banner("kv", out, ls.get(0).localAddress(), group.loop(0).backend(), trigger, loops, options.waitStrategy());
        CountDownLatch done = Serve.onSignal(() -> group.shutdown(Duration.ofSeconds(2)));
        try {
            while (!group.awaitTermination(Duration.ofDays(1))) {
                // keep waiting
            }
        } finally {
            stopped(out, group.stats(), kv);
            group.close();
            done.countDown();
        }
        return Serve.exitCode("kv", group.terminationCause());
    }

    private static void stopped(PrintStream out, LoopStats stats, Kv kv) {
        out.println("ffmreactor kv stopped: " + stats);
        out.println("ffmreactor kv counters: " + kv.counters());
        out.flush();
    }
}
