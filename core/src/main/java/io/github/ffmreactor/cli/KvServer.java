package io.github.ffmreactor.cli;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopGroup;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.LoopStats;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code kv}: an in-memory key-value server speaking RESP2, enough of it for {@code redis-cli} and
 * {@code redis-benchmark}. An example of embedding the reactor in a real protocol, not a Redis
 * replacement: no persistence, no replication, strings only.
 *
 * <p>With {@code --loops N} every loop serves connections from the same {@link KvStore}, whose
 * operations hold its monitor: a command sees the whole store, MSET and INCR are atomic, and the
 * reads and replies (most of the work) run on all loops at once.
 */
public final class KvServer {
    private KvServer() {}

    static final Set<String> OPTIONS;
    static {
        Set<String> o = new HashSet<>(Serve.TCP_OPTIONS);
        o.add("max-bulk");
        OPTIONS = Set.copyOf(o);
    }
    static final String USAGE = Serve.TCP_USAGE + " --max-bulk 512MiB";
    static final long DEFAULT_MAX_BULK = 512L << 20;
    /** Redis's client-query-buffer-limit: the most bytes held for one unfinished command. */
    static final long DEFAULT_MAX_QUERY = 1L << 30;
    /** How often, and over how many slots, the expiry sweep runs. */
    static final long SWEEP_MILLIS = 100;
    static final int SWEEP_SLOTS = 4096;

    /** Per loop thread: the reply buffer and the counters. */
    static final class LoopState {
        final RespWriter out = new RespWriter();
        final long[] number = new long[1];
        long commands, errors, protocolErrors;
    }

    /** One server: the store, the limits, and each loop's state. */
    static final class Kv {
        private final KvStore store = new KvStore();
        private final long maxBulk, maxQuery;
        private final List<LoopState> states = new CopyOnWriteArrayList<>();
        private final ThreadLocal<LoopState> state = ThreadLocal.withInitial(() -> {
            LoopState s = new LoopState();
            states.add(s);
            return s;
        });

        Kv(long maxBulk, long maxQuery) {
            this.maxBulk = maxBulk;
            this.maxQuery = Math.min(Integer.MAX_VALUE - 16, Math.max(maxQuery, maxBulk + 64 * 1024));
        }

        KvStore store() {
            return store;
        }

        long maxBulk() {
            return maxBulk;
        }

        long maxQuery() {
            return maxQuery;
        }

        /** The calling loop thread's state. */
        LoopState state() {
            return state.get();
        }

        KvHandler handler() {
            return new KvHandler(this);
        }

        /**
         * Loop options for this server: a connection may queue a whole maximal bulk reply plus
         * some before it is closed as not reading (reading from it pauses at 64 KiB, as always).
         */
        LoopOptions options(LoopOptions base) {
            return base.withLimits(base.pauseReadingAbove(), Math.max(base.closeAbove(), maxBulk + (1 << 20)));
        }

        /** Starts the expiry sweep on {@code loop}. */
        void sweepOn(EventLoop loop) {
            loop.scheduleAtFixedRate(SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS, () -> store.sweep(SWEEP_SLOTS));
        }

        /** The counters printed on stop. */
        String counters() {
            long commands = 0, errors = 0, protocol = 0;
            for (LoopState s : states) {
                commands += s.commands;
                errors += s.errors;
                protocol += s.protocolErrors;
            }
            return "commands=" + commands + " errors=" + errors + " protocolErrors=" + protocol + " keys=" + store.size()
                    + " expired=" + store.expired();
        }
    }

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

    static int main(Args a, PrintStream out) throws Exception {
        long maxBulk = size(a, "max-bulk", DEFAULT_MAX_BULK, 1, Integer.MAX_VALUE - (1 << 20));
        Kv kv = new Kv(maxBulk, DEFAULT_MAX_QUERY);
        InetSocketAddress address = Serve.address(a);
        Trigger trigger = Serve.trigger(a);
        LoopOptions options = kv.options(Serve.options(a, LoopOptions.defaults()));
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
