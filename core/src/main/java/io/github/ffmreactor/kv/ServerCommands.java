package io.github.ffmreactor.kv;

import static io.github.ffmreactor.kv.Command.NO_MULTI;
import static io.github.ffmreactor.kv.Command.STORE;
import static io.github.ffmreactor.kv.Command.TX_CONTROL;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Connection and server commands: what clients send when they connect (HELLO, CLIENT SETINFO,
 * SELECT 0), what tools ask (INFO, CONFIG GET, COMMAND), and transactions (MULTI, EXEC, DISCARD).
 */
final class ServerCommands {
    private ServerCommands() {}

    /** The Redis version kv answers to: clients choose features by it, and kv speaks 7.0's protocol. */
    static final String REDIS_VERSION = "7.0.0";

    static final List<Command> ALL = List.of(
            new Command("ping", -1, 0, ServerCommands::ping),
            new Command("echo", 2, 0, c -> c.out.bulk(c.seg(1), c.off[1], c.len[1])),
            new Command("hello", -1, NO_MULTI, ServerCommands::hello),
            new Command("client", -2, 0, ClientCommand::run),
            new Command("select", 2, 0, ServerCommands::select),
            new Command("info", -1, STORE, c -> c.out.verbatim(Info.text(c))),
            new Command("dbsize", 1, STORE, c -> c.out.integer(c.store.size())),
            new Command("flushdb", -1, STORE, ServerCommands::flush),
            new Command("flushall", -1, STORE, ServerCommands::flush),
            new Command("command", -1, 0, ServerCommands::command),
            new Command("config", -2, 0, ServerCommands::config),
            new Command("quit", -1, 0, ServerCommands::quit),
            new Command("multi", 1, TX_CONTROL, ServerCommands::multi),
            new Command("exec", 1, TX_CONTROL, ServerCommands::exec),
            new Command("discard", 1, TX_CONTROL, ServerCommands::discard),
            new Command("watch", -2, TX_CONTROL, ServerCommands::watch),
            new Command("unwatch", 1, 0, Call::ok));

    private static final byte[] PONG = RespWriter.b("+PONG\r\n"), EMPTY = RespWriter.b("*0\r\n"),
            AUTH = RespWriter.b("auth"), SETNAME = RespWriter.b("setname"), COUNT = RespWriter.b("count"),
            DOCS = RespWriter.b("docs"), INFO = RespWriter.b("info"), LIST = RespWriter.b("list"), GET = RespWriter.b("get"),
            ASYNC = RespWriter.b("async"), SYNC = RespWriter.b("sync"), DEFAULT = RespWriter.b("default");

    private static void ping(Call c) {
        if (c.argc > 2) c.arity("ping");
        else if (c.argc == 1) c.out.raw(PONG);
        else c.out.bulk(c.seg(1), c.off[1], c.len[1]);
    }

    /** HELLO [protover [AUTH username password] [SETNAME clientname]]: switches RESP2/RESP3 and says who we are. */
    private static void hello(Call c) {
        int proto = c.session.resp3() ? 3 : 2;
        if (c.argc > 1) {
            if (!Numbers.parse(c.seg(1), c.off[1], c.off[1] + c.len[1], true, c.number)) {
                c.error("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (c.number[0] != 2 && c.number[0] != 3) {
                c.error("NOPROTO unsupported protocol version");
                return;
            }
            proto = (int) c.number[0];
        }
        byte[] name = null;
        for (int i = 2; i < c.argc; i++) {
            if (c.is(i, AUTH) && i + 2 < c.argc) {
                // No users but the default one, which needs no password (Redis's default "nopass").
                if (!c.is(i + 1, DEFAULT)) {
                    c.error("WRONGPASS invalid username-password pair or user is disabled.");
                    return;
                }
                i += 2;
            } else if (c.is(i, SETNAME) && i + 1 < c.argc) {
                name = c.bytes(++i);
                if (!ClientCommand.validName(c, name)) return;
            } else {
                c.error("ERR Syntax error in HELLO option '" + c.text(i, 128) + "'");
                return;
            }
        }
        if (name != null) c.session.name(name.length == 0 ? null : name);
        c.session.resp3(proto == 3);
        c.out.mapHeader(7);
        c.out.bulk("server");
        c.out.bulk("redis");
        c.out.bulk("version");
        c.out.bulk(REDIS_VERSION);
        c.out.bulk("proto");
        c.out.integer(proto);
        c.out.bulk("id");
        c.out.integer(c.session.id());
        c.out.bulk("mode");
        c.out.bulk("standalone");
        c.out.bulk("role");
        c.out.bulk("master");
        c.out.bulk("modules");
        c.out.raw(EMPTY);
    }

    /** SELECT 0: one database, as a Redis with {@code databases 1}. */
    private static void select(Call c) {
        if (!c.integer(1)) return;
        if (c.number[0] != 0) c.error("ERR DB index is out of range");
        else c.ok();
    }

    private static void flush(Call c) {
        if (c.argc > 2 || (c.argc == 2 && !c.is(1, ASYNC) && !c.is(1, SYNC))) {
            c.syntax();
            return;
        }
        c.store.clear();
        c.ok();
    }

    /** COMMAND, COMMAND COUNT, COMMAND DOCS / INFO / LIST: as much as redis-cli needs to start. */
    private static void command(Call c) {
        if (c.argc == 1) {
            c.out.raw(EMPTY);
        } else if (c.is(1, COUNT)) {
            c.out.integer(Commands.ALL.size());
        } else if (c.is(1, DOCS)) {
            c.out.mapHeader(0); // no docs: redis-cli falls back to its own built-in help
        } else if (c.is(1, INFO) || c.is(1, LIST)) {
            c.out.raw(EMPTY);
        } else {
            c.unknownSubcommand("COMMAND");
        }
    }

    /** CONFIG GET name...: save and appendonly as redis-benchmark asks for them; nothing else is known. */
    private static void config(Call c) {
        if (!c.is(1, GET)) {
            c.unknownSubcommand("CONFIG");
            return;
        }
        if (c.argc < 3) {
            c.arity("config|get");
            return;
        }
        List<String> pairs = new ArrayList<>();
        for (int i = 2; i < c.argc; i++) {
            String name = c.text(i, 128).toLowerCase(Locale.ROOT);
            if (name.equals("save") && !pairs.contains("save")) pairs.addAll(List.of("save", ""));
            if (name.equals("appendonly") && !pairs.contains("appendonly")) pairs.addAll(List.of("appendonly", "no"));
        }
        c.out.mapHeader(pairs.size() / 2);
        for (String p : pairs) c.out.bulk(p);
    }

    private static void quit(Call c) {
        c.ok();
        c.stop = true;
    }

    private static void multi(Call c) {
        if (c.session.tx() != null) {
            c.error("ERR MULTI calls can not be nested");
            return;
        }
        c.session.tx(new Transaction(c.kv.config().effectiveQueryLimit()));
        c.ok();
    }

    private static void exec(Call c) {
        Transaction tx = c.session.tx();
        if (tx == null) {
            c.error("ERR EXEC without MULTI");
            return;
        }
        c.session.tx(null);
        tx.exec(c);
    }

    private static void discard(Call c) {
        if (c.session.tx() == null) {
            c.error("ERR DISCARD without MULTI");
            return;
        }
        c.session.tx(null);
        c.ok();
    }

    /** WATCH is not implemented: an error that says so (inside MULTI, Redis's own error). */
    private static void watch(Call c) {
        if (c.session.tx() != null) c.error("ERR WATCH inside MULTI is not allowed");
        else c.error("ERR WATCH is not supported by this server (kv): use MULTI/EXEC without it");
    }
}
