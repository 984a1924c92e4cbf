package io.github.ffmreactor.bench;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import io.github.ffmreactor.loop.WaitStrategy;
import org.HdrHistogram.Histogram;

/**
 * {@code load}: drives an echo server and measures it. Either an external server
 * ({@code --host/--port}, and {@code --pid} for its CPU), or one this command starts in its own
 * process ({@code --server <impl>}), whose loop counters it can then read too.
 */
final class LoadMain {
    private LoadMain() {}

    static final Set<String> OPTIONS = Set.of("host", "port", "connections", "size", "depth", "warmup", "duration",
            "loops", "pid", "server", "json", "strace", "syscalls", "client-wait");

    /** A load run's settings. */
    record Settings(int connections, int size, int depth, int loops, Duration warmup, Duration duration,
                    WaitStrategy clientWait) {
        Settings(int connections, int size, int depth, int loops, Duration warmup, Duration duration) {
            this(connections, size, depth, loops, warmup, duration, WaitStrategy.BLOCK);
        }
    }

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, OPTIONS);
        Settings s = new Settings(o.intValue("connections", 16, 1, 60000), o.size("size", 64, 1, 16 << 20),
                o.intValue("depth", 1, 1, 4096), o.intValue("loops", 1, 1, 256),
                o.duration("warmup", Duration.ofSeconds(2)), o.duration("duration", Duration.ofSeconds(5)),
                clientWait(o.get("client-wait", "block")));
        String impl = o.get("server", null);
        if (impl == null && !o.has("port")) throw new Opts.Bad("give --port P of a running echo server, or --server IMPL to start one");
        ServerProcess sp = null;
        try {
            if (impl != null) {
                String why = Servers.unavailableReason(impl);
                if (why != null) {
                    System.err.println(why);
                    return 3;
                }
                sp = ServerProcess.start(impl);
            }
            String host = sp != null ? "127.0.0.1" : o.get("host", "127.0.0.1");
            int port = sp != null ? sp.port : o.intValue("port", 0, 1, 65535);
            long pid = sp != null ? sp.pid : o.has("pid") ? Long.parseLong(o.get("pid", "-1")) : -1;
            String name = impl != null ? impl : host + ":" + port;
            InetSocketAddress addr = new InetSocketAddress(InetAddress.getByName(host), port);
            Duration sysWindow = switch (o.get("syscalls", "no")) {
                case "no" -> null;
                case "yes" -> Duration.ofSeconds(1);
                default -> o.duration("syscalls", Duration.ofSeconds(1));
            };
            if (sysWindow != null && pid <= 0) throw new Opts.Bad("--syscalls needs the server's pid (--pid, or --server)");
            Measurement m = run(name, addr, pid, sp, s, System.out, o.get("strace", "no").equals("yes"), sysWindow);
            System.out.println("result " + name + " " + m.cell() + ": " + m.summary());
            if (o.has("json")) {
                Files.writeString(Path.of(o.get("json", "")), new com.google.gson.Gson().toJson(m.toMap()) + "\n",
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            return m.errors() == 0 ? 0 : 1;
        } finally {
            if (sp != null) sp.close();
        }
    }

    private static WaitStrategy clientWait(String spec) throws Opts.Bad {
        try {
            return WaitStrategy.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new Opts.Bad("--client-wait: " + e.getMessage());
        }
    }

    /** Warms up, then measures one window; fails loudly on any byte mismatch. */
    static Measurement run(String name, InetSocketAddress addr, long pid, ServerProcess sp, Settings s, PrintStream out)
            throws Exception {
        return run(name, addr, pid, sp, s, out, false);
    }

    /**
     * With {@code strace}, after the measured window strace counts the server's system calls over
     * a second window of the same length (it slows the server, so it never overlaps the measurement).
     */
    static Measurement run(String name, InetSocketAddress addr, long pid, ServerProcess sp, Settings s, PrintStream out,
                           boolean strace) throws Exception {
        return run(name, addr, pid, sp, s, out, strace, null);
    }

    /**
     * With {@code syscallWindow}, after the measured window (and strace's), {@link Syscalls} counts
     * the server's kernel crossings over a window of that length of its own.
     */
    static Measurement run(String name, InetSocketAddress addr, long pid, ServerProcess sp, Settings s, PrintStream out,
                           boolean strace, Duration syscallWindow) throws Exception {
        out.printf(Locale.ROOT, "load %s: connections=%d size=%d B depth=%d loops=%d warmup=%s duration=%s%s%s%n", name,
                s.connections(), s.size(), s.depth(), s.loops(), fmt(s.warmup()), fmt(s.duration()),
                s.clientWait() == WaitStrategy.BLOCK ? "" : " client-wait=" + s.clientWait(),
                pid > 0 ? " server pid=" + pid : "");
        try (LoadClient client = new LoadClient(addr, s.connections(), s.size(), s.depth(), s.loops(), s.clientWait())) {
            Progress p = new Progress(out, client);
            p.run("warmup ", s.warmup());
            client.resetLatency();
            Sample from = Sample.take(sp, pid, client);
            p.run("measure", s.duration());
            Sample to = Sample.take(sp, pid, client);
            Histogram h = client.latency();
            if (strace) {
                if (pid <= 0) throw new Opts.Bad("--strace yes needs the server's pid (--pid, or --server)");
                // strace counts from attach to detach; the round trips are counted over the same span
                // (from just before attaching to just after detaching: off by a few ms of attach).
                long a = client.completed();
                try (Strace st = Strace.attach(pid)) {
                    p.run("strace ", s.duration());
                    Map<String, Long> calls = st.stop();
                    long b = client.completed();
                    long rts = Math.max(1, b - a);
                    StringBuilder line = new StringBuilder("strace -c -f of the server, " + rts + " round trips; calls per round trip:");
                    calls.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(12)
                            .forEach(e -> line.append(String.format(Locale.ROOT, " %s=%.3f", e.getKey(), e.getValue() / (double) rts)));
                    out.println(line);
                }
            }
            Syscalls.Count sys = null;
            if (syscallWindow != null && !syscallWindow.isZero() && pid > 0) {
                sys = Syscalls.window(pid, syscallWindow, client::completed);
                out.println(sys == null ? "syscalls: not counted (neither perf nor strace works here)" : sys.summary());
            }
            if (client.errors() > 0) out.println("ERROR: " + client.errors() + " error(s); first: " + client.firstError());
            boolean none = to.roundTrips() == from.roundTrips();
            if (none) out.println("ERROR: no round trip completed in the measured window");
            // One round trip at least: the per-round-trip figures of an empty window stay finite.
            if (none) to = new Sample(to.nanos(), from.roundTrips() + 1, to.server(), to.client(), to.cpu());
            return Measurement.between(name, s.connections(), s.size(), s.depth(), from, to, h, client.errors() + (none ? 1 : 0))
                    .withSyscalls(sys);
        }
    }

    static String fmt(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Live progress once a second: one updating line on a terminal, plain lines otherwise. */
    static final class Progress {
        private final PrintStream out;
        private final LoadClient client;
        private final boolean tty = onTerminal();

        /** Whether stdout is a terminal (System.console() is not null on JDK 22 and later even when it is not). */
        @SuppressWarnings("SystemConsoleNull") // null is still possible (no console at all); isTerminal() decides
        private static boolean onTerminal() {
            Console c = System.console();
            return c != null && c.isTerminal();
        }

        Progress(PrintStream out, LoadClient client) {
            this.out = out;
            this.client = client;
        }

        void run(String phase, Duration d) throws InterruptedException {
            long end = System.nanoTime() + d.toNanos();
            long last = client.completed(), lastT = System.nanoTime();
            while (true) {
                long now = System.nanoTime();
                if (now >= end || client.errors() > 0) break;
                Thread.sleep(Math.max(1, Math.min(1000, (end - now) / 1_000_000)));
                long c = client.completed();
                long t = System.nanoTime();
                double rate = (c - last) / ((t - lastT) / 1e9);
                String line = String.format(Locale.ROOT, "  %s %5.1fs left  %,12.0f rt/s  %8.1f MB/s  errors=%d",
                        phase, Math.max(0, (end - t) / 1e9), rate, rate * client.size / 1e6, client.errors());
                if (tty) out.print("\r" + line + "   ");
                else out.println(line);
                out.flush();
                last = c;
                lastT = t;
            }
            if (tty) out.println();
        }
    }

    static void appendJson(Path file, Measurement m) throws IOException {
        Files.writeString(file, new com.google.gson.Gson().toJson(m.toMap()) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
