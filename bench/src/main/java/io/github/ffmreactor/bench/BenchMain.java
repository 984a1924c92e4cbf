package io.github.ffmreactor.bench;

import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar benchmarks.jar ...}: JMH's own command line, plus the bench's subcommands.
 *
 * <p>The rule: a first word that is exactly one of {@link #SUBCOMMANDS} runs that subcommand;
 * anything else (no arguments, {@code -l}, {@code -lp}, {@code -prof gc}, a benchmark regex,
 * {@code -p server=ffm-edge}...) goes unchanged to {@code org.openjdk.jmh.Main}, which behaves
 * (output and exit status) as in any JMH uber-jar. {@code jmh ...} stays as an explicit alias.
 * No subcommand name, read as a JMH regex, matches a benchmark in the jar (BenchMainTest checks
 * it), so a subcommand never hides a JMH run. {@code -h}/{@code --help} print JMH's help, then
 * the subcommands.
 */
public final class BenchMain {
    private BenchMain() {}

    /** The words that are subcommands when first; nothing else is. */
    static final List<String> SUBCOMMANDS = List.of("server", "servers", "load", "smoke", "report", "idle", "core-to-core", "kv", "kv-hostile", "jmh", "udp", "udp-server", "uring", "trigger");

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /**
     * Runs a subcommand and returns its exit status, or hands the arguments to JMH (which itself
     * calls {@code System.exit(1)} on a bad option, no matching benchmark or a failed run, as its
     * own Main does, and returns normally otherwise: status 0).
     */
    static int run(String[] args) throws Exception {
        if (args.length == 0 || !SUBCOMMANDS.contains(args[0])) return jmh(args);
        try {
            return switch (args[0]) {
                case "server" -> ServerMain.run(args);
                case "servers" -> {
                    for (String s : Servers.available()) System.out.println(s);
                    yield 0;
                }
                case "load" -> LoadMain.run(args);
                case "smoke" -> Smoke.run(args);
                case "report" -> Report.run(args);
                case "idle" -> IdleCpu.run(args);
                case "core-to-core" -> CoreToCore.run(args);
                case "kv" -> KvBench.run(args);
                case "kv-hostile" -> KvHostileBench.run(args);
                case "jmh" -> jmh(Arrays.copyOfRange(args, 1, args.length));
                case "udp" -> UdpBench.run(args);
                case "udp-server" -> UdpBench.server(args);
                case "uring" -> UringBench.run(args);
                case "trigger" -> TriggerProfile.run(args);
                default -> throw new AssertionError(args[0]);
            };
        } catch (Opts.Bad e) {
            System.err.println("bench " + args[0] + ": " + e.getMessage());
            return 2;
        }
    }

    private static int jmh(String[] args) throws Exception {
        boolean help = Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("--help"));
        if (help) {
            // JMH knows -h only; --help would be a parse error there.
            org.openjdk.jmh.Main.main(new String[] {"-h"});
            System.out.println();
            subcommands();
            return 0;
        }
        org.openjdk.jmh.Main.main(args);
        return 0;
    }

    static void subcommands() {
        System.out.println("""
                Subcommands of this jar (an exact first word; anything else is a JMH command line as above):
                  server <impl> [--port 0]   run one echo server (impls: see `servers`); prints
                                             'ready port=P pid=N', stops when stdin closes
                  servers                    the server implementations available here
                  load --host 127.0.0.1 --port P [--connections 16] [--size 64] [--depth 1]
                       [--warmup 2s] [--duration 5s] [--loops 1] [--pid PID] [--server IMPL]
                       [--client-wait block|spin|spin-then-park:D] [--syscalls yes|DURATION]
                                             drive an echo server (or start IMPL itself) and
                                             measure round trips/s, MB/s, latency, server CPU
                  smoke [--duration 1s]      every server, briefly, every byte checked (CI)
                  report [--in DIR] [--out DIR]  HTML report + PNG charts from a bench run
                  idle [--servers a,b] [--seconds 10] [--out FILE]  each server's CPU with no traffic
                  core-to-core [--seconds 20] [--cpus 0,1]  a cache line's round trip between two CPUs,
                                             each second: does this machine hold still for cross-core benchmarks?
                  kv [--out DIR] [--rounds 3] [--scale 1] [--core 0] [--client-core 1]
                     [--clients 1,50] [--tests ping_mbulk,set,get] (also ping_inline)
                                             redis-benchmark vs redis-server and ffmreactor kv
                                             (epoll level/edge), same core, interleaved
                  kv-hostile [--rounds 1] [--cases trickle,bigget,args] [--servers a,b] [--warmup 2s]
                                             hostile clients vs redis-server and kv (started with
                                             kv --warmup; 0: cold): worst and p99 PING on another
                                             connection, RSS growth
                  jmh [JMH options]          the same as giving the JMH options directly
                  udp [--senders 1,16] [--seconds 5] [--size 64] [--out FILE]
                                             UDP echo: datagrams/s and server CPU per datagram,
                                             C recvmmsg peer vs Netty epoll vs ffmreactor
                  udp-server <netty-udp-epoll|ffm-udp> [--batch 32]  one UDP echo server (for udp)
                  uring [--rounds 3] [--cells 1x64,16x64,256x64,1000x64,16x16k] [--servers a,b]
                        [--warmup 1s] [--first-warmup 2s] [--duration 3s] [--syscall-window 500ms]
                        [--baseline c-epoll] [--out DIR]
                                             epoll vs io_uring servers (C, ffmreactor, Netty) in
                                             interleaved rounds: CPU, user CPU, rt/s, p50, syscalls
                                             and io_uring_enter per round trip, ratios to the
                                             baseline; DIR/uring.md (markdown) and uring.jsonl

                  trigger [--servers a,b] [--connections 1,16,256] [--depth 1,16] [--size 64]
                          [--forks 2] [--warmup-iterations 2] [--warmup 1s] [--iterations 5]
                          [--time 1s] [--pin 1:0|no] [--out DIR] | --json FILE
                                             edge vs level (and oneshot) on every backend here:
                                             runs EchoBench (its JMH line is printed) as --forks
                                             rounds of one fork per server and cell, the order
                                             reversed in alternate rounds (DIR/rounds/order.txt),
                                             pooled into DIR/jmh-trigger.json; then per cell each
                                             counter and CPU per round trip side by side,
                                             edge/level with its interval, a verdict;
                                             DIR/trigger.md. --json: the table of a JSON file.
                                             --pin: server on CPU 1, client on CPU 0 (taskset;
                                             the default with two CPUs)

                Benchmarks: EchoBench (-p server=IMPL, connections, size, depth), FfmCallBench,
                HeapWriteBench; `-l` lists them. With no arguments JMH runs all of them (hours).""");
    }
}
