package io.github.ffmreactor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code java -jar ffmreactor-core.jar <server> [options]}: the project's servers. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        if (args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return 0;
        }
        if (args[0].equals("--version")) {
            out.println("ffmreactor " + version());
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        String commandUsage = commandUsage(args[0]);
        if (commandUsage != null && Arrays.asList(rest).stream().anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
            out.println(commandUsage);
            return 0;
        }
        try {
            return switch (args[0]) {
                case "echo" -> EchoServer.main(Args.parse(rest, EchoServer.OPTIONS), out);
                case "upper" -> UpperServer.main(Args.parse(rest, Serve.TCP_OPTIONS), out);
                case "chat" -> ChatServer.main(Args.parse(rest, ChatServer.OPTIONS), out);
                case "udp-chat" -> UdpChatServer.main(Args.parse(rest, UdpChatServer.OPTIONS), out);
                case "udp-echo" -> UdpEchoServer.main(Args.parse(rest, UdpEchoServer.OPTIONS), out);
                case "kv" -> KvServer.main(rest, out);
                case "client" -> LineClient.main(Args.parse(rest, LineClient.OPTIONS), out, err);
                default -> {
                    err.println("unknown command '" + args[0] + "'");
                    usage(err);
                    yield 2;
                }
            };
        } catch (Args.BadArgs e) {
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            err.println(commandUsage);
            return 2;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // A backend this OS lacks, or a trigger the chosen backend cannot carry.
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            return 2;
        } catch (IOException e) {
            // A native failure, e.g. bind: EADDRINUSE (Address already in use).
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    /** Each command, what it is, and its options, in the order the help lists them. */
    private static final String[][] COMMANDS = {
        {"echo", "echo server", EchoServer.USAGE},
        {"upper", "upper-case echo server, line by line", Serve.TCP_USAGE},
        {"chat", "TCP chat room", ChatServer.USAGE},
        {"udp-chat", "UDP chat room (hb to stay, quit to leave)", UdpChatServer.USAGE},
        {"udp-echo", "UDP echo server", UdpEchoServer.USAGE},
        {"kv", "key-value server speaking RESP2/RESP3 (redis-cli, Jedis, Lettuce, redis-py)", KvServer.USAGE},
        {"client", "line client (stdin to server, server to stdout)", LineClient.USAGE},
    };

    /** {@code usage: ffmreactor echo OPTIONS}, or null for an unknown command. */
    static String commandUsage(String command) {
        for (String[] c : COMMANDS) {
            if (c[0].equals(command)) return "usage: ffmreactor " + c[0] + " " + c[2] + "\n  " + c[1] + "; -h or --help prints this";
        }
        return null;
    }

    static void usage(PrintStream out) {
        out.println("usage: ffmreactor <command> [options]   (ffmreactor <command> --help for its options)");
        out.println("       ffmreactor --version");
        out.println("commands:");
        for (String[] c : COMMANDS) out.printf("  %-9s %s: %s%n", c[0], c[1], c[2]);
    }

    /**
     * The version from the jar's manifest (Implementation-Version), or from the module descriptor;
     * when run from classes rather than the jar, neither exists and it says so.
     */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        if (v == null) v = Main.class.getModule().getDescriptor() == null ? null
                : Main.class.getModule().getDescriptor().rawVersion().orElse(null);
        return v != null ? v : "(unknown version: not run from the jar)";
    }
}
