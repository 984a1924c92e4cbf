package io.github.ffmreactor.bench;

import java.util.Arrays;

/**
 * {@code java -jar benchmarks.jar <command>}: the echo servers under test, the load tool, the JMH
 * benchmarks and the report.
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            usage();
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "server" -> ServerMain.main(args);
                case "servers" -> {
                    for (String s : Servers.available()) System.out.println(s);
                    yield 0;
                }
                case "load" -> LoadMain.main(args);
                case "smoke" -> Smoke.main(args);
                case "report" -> Report.main(args);
                case "idle" -> IdleCpu.main(args);
                case "jmh" -> {
                    org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
                    yield 0;
                }
                default -> {
                    System.err.println("unknown command '" + args[0] + "'");
                    usage();
                    yield 2;
                }
            };
        } catch (Opts.Bad e) {
            System.err.println("bench " + args[0] + ": " + e.getMessage());
            return 2;
        }
    }

    static void usage() {
        System.out.println("""
                usage: java -jar benchmarks.jar <command> [options]
                  server <impl> [--port 0]   run one echo server (impls: see `servers`); prints
                                             'ready port=P pid=N', stops when stdin closes
                  servers                    the server implementations available here
                  load --host 127.0.0.1 --port P [--connections 16] [--size 64] [--depth 1]
                       [--warmup 2s] [--duration 5s] [--loops 1] [--pid PID] [--server IMPL]
                                             drive an echo server (or start IMPL itself) and
                                             measure round trips/s, MB/s, latency, server CPU
                  smoke [--duration 1s]      every server, briefly, every byte checked (CI)
                  report [--in DIR] [--out DIR]  HTML report + PNG charts from a bench run
                  idle [--servers a,b] [--seconds 10] [--out FILE]  each server's CPU with no traffic
                  jmh [JMH options]          the JMH benchmarks (EchoBench, FfmCallBench)""");
    }
}
