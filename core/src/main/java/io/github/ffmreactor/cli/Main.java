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
                case "upper" -> UpperServer.main(Args.parse(rest, Serve.TCP_OPTIONS), out);
                case "chat" -> ChatServer.main(Args.parse(rest, ChatServer.OPTIONS), out);
                case "udp-chat" -> UdpChatServer.main(Args.parse(rest, UdpChatServer.OPTIONS), out);
                case "client" -> LineClient.main(Args.parse(rest, LineClient.OPTIONS), out, err);
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
        } catch (java.io.IOException e) {
            // A native failure, e.g. bind: EADDRINUSE (Address already in use).
            err.println("ffmreactor " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: ffmreactor <command> [options]");
        out.println("commands:");
        out.println("  echo      echo server: " + EchoServer.USAGE);
        out.println("  upper     upper-case echo server: " + Serve.TCP_USAGE);
        out.println("  chat      TCP chat room: " + ChatServer.USAGE);
        out.println("  udp-chat  UDP chat room (hb to stay, quit to leave): " + UdpChatServer.USAGE);
        out.println("  client    line client (stdin to server, server to stdout): " + LineClient.USAGE);
    }
}
