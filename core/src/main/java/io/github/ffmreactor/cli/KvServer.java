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

    static final Set<String> OPTIONS;
    static {
        Set<String> o = new HashSet<>(Serve.TCP_OPTIONS);
        o.addAll(List.of("max-bulk", "client-query-buffer-limit", "client-output-buffer-limit", "train-requests", "warm-up"));
        OPTIONS = Set.copyOf(o);
    }
    static final String USAGE = Serve.TCP_USAGE + " --max-bulk 512MiB --client-query-buffer-limit 1GiB"
            + " --client-output-buffer-limit 32MiB --warm-up " + KvServer.WARM_UP + " [--train [--train-requests 300000]]";
    /** Requests of the in-process warm-up before the server opens its port (0: none). */
    static final int WARM_UP = 10_000;

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
        LoopOptions options = kv.options(Serve.options(a, LoopOptions.defaults()));
        if (train) return KvTrain.run(kv, options, trigger, a.intValue("train-requests", 300_000, 1000, 100_000_000), out);
        int loops = a.intValue("loops", 1, 1, 256);
        int warm = a.intValue("warm-up", WARM_UP, 0, 100_000_000);
        if (warm > 0) KvTrain.warmUp(config, options, trigger, warm);
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
