package io.github.ffmreactor.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code java -jar ffmreactor-core.jar <server> [options]}: the project's servers. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "echo" -> EchoServer.main(Args.parse(rest, EchoServer.OPTIONS), out);
                default -> {
                    err.println("unknown command '" + args[0] + "'");
                    usage(err);
                    yield 2;
                }
            };
        } catch (Args.BadArgs e) {
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // A backend this OS lacks, or a trigger the chosen backend cannot carry.
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            return 2;
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: ffmreactor <command> [options]");
        out.println("commands:");
        out.println("  echo   echo server: " + EchoServer.USAGE);
    }
}
