package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.Handler;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One {@code kv} connection: its RESP parser, and the commands run against the shared
 * {@link KvStore}. Replies of one read go out in one write ({@link RespWriter}); a protocol error
 * is answered and the connection closed after the answer is flushed.
 */
final class KvHandler implements Handler, RespParser.Sink {
    private final KvServer.Kv kv;
    private final RespParser parser;
    private KvServer.LoopState state;
    private RespWriter out;
    private Connection conn;
    private boolean inputEnded;

    KvHandler(KvServer.Kv kv) {
        this.kv = kv;
        this.parser = new RespParser(kv.maxBulk(), kv.maxQuery(), this);
    }

    @Override
    public void onOpen(Connection c) {
        state = kv.state();
        out = state.out;
        conn = c;
    }

    @Override
    public void onData(Connection c, MemorySegment buf, int len) {
        out.begin(c);
        parser.feed(buf, 0, len);
        finish(c);
    }

    private void finish(Connection c) {
        if (!out.flush()) return;
        if (parser.failed() || (inputEnded && !parser.stalled())) c.closeAfterFlush(); // after the replies, close
    }

    /**
     * Back-pressure: while the peer does not read its replies, commands already received wait
     * (held by the parser) instead of piling up more output; the loop stops reading meanwhile.
     */
    @Override
    public boolean mayRun() {
        return !conn.isReadPaused();
    }

    /** The peer read what was queued: run the commands that waited for it. */
    @Override
    public void onDrained(Connection c) {
        if (!parser.stalled()) return;
        out.begin(c);
        parser.resume();
        finish(c);
    }

    /** The peer ended its output: close after the commands still held have been answered. */
    @Override
    public void onInputClosed(Connection c) {
        inputEnded = true;
        if (!parser.stalled()) c.closeAfterFlush();
    }

    /** Bytes held for an unfinished command (for tests). */
    int heldBytes() {
        return parser.heldBytes();
    }

    @Override
    public void onProtocolError(String message) {
        state.protocolErrors++;
        out.error("ERR " + message);
    }

    // Command names in lower case (a request's name matches in any case).
    private static final byte[] PING = b("ping"), ECHO = b("echo"), GET = b("get"), SET = b("set"), DEL = b("del"),
            EXISTS = b("exists"), INCR = b("incr"), MGET = b("mget"), MSET = b("mset"), COMMAND = b("command"),
            CONFIG = b("config"), QUIT = b("quit"), EX = b("ex"), PX = b("px"), NX = b("nx"), XX = b("xx"),
            KEEPTTL = b("keepttl"), DOCS = b("docs"), COUNT = b("count"), INFO = b("info"), LIST = b("list");
    /** The commands, for COMMAND COUNT and the README. */
    static final String[] COMMANDS = {"ping", "echo", "get", "set", "del", "exists", "incr", "mget", "mset", "command",
        "config", "quit"};

    private static final byte[] PONG = b("+PONG\r\n"), OK = b("+OK\r\n"), EMPTY = b("*0\r\n");

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean is(MemorySegment seg, long off, int len, byte[] lower) {
        if (len != lower.length) return false;
        for (int i = 0; i < len; i++) if ((seg.get(ValueLayout.JAVA_BYTE, off + i) | 0x20) != lower[i]) return false;
        return true;
    }

    @Override
    public boolean onCommand(MemorySegment s, long[] off, int[] len, int argc) {
        KvServer.LoopState st = state;
        st.commands++;
        long o0 = off[0];
        int l0 = len[0];
        KvStore store = kv.store();
        if (is(s, o0, l0, GET)) {
            if (argc != 2) return arity("get");
            byte[] v = store.get(s, off[1], len[1]);
            if (v == null) out.nil();
            else out.bulk(v);
        } else if (is(s, o0, l0, SET)) {
            return set(s, off, len, argc);
        } else if (is(s, o0, l0, PING)) {
            if (argc > 2) return arity("ping");
            if (argc == 1) out.raw(PONG);
            else out.bulk(s, off[1], len[1]);
        } else if (is(s, o0, l0, ECHO)) {
            if (argc != 2) return arity("echo");
            out.bulk(s, off[1], len[1]);
        } else if (is(s, o0, l0, DEL) || is(s, o0, l0, EXISTS)) {
            boolean del = l0 == 3;
            if (argc < 2) return arity(del ? "del" : "exists");
            long n = 0;
            for (int i = 1; i < argc; i++) {
                if (del ? store.delete(s, off[i], len[i]) : store.exists(s, off[i], len[i])) n++;
            }
            out.integer(n);
        } else if (is(s, o0, l0, INCR)) {
            if (argc != 2) return arity("incr");
            long[] r = st.number;
            int status = store.increment(s, off[1], len[1], r);
            if (status == KvStore.OK) out.integer(r[0]);
            else return error(status == KvStore.NOT_INTEGER ? "ERR value is not an integer or out of range"
                    : "ERR increment or decrement would overflow");
        } else if (is(s, o0, l0, MGET)) {
            if (argc < 2) return arity("mget");
            out.arrayHeader(argc - 1);
            for (int i = 1; i < argc; i++) {
                byte[] v = store.get(s, off[i], len[i]);
                if (v == null) out.nil();
                else out.bulk(v);
            }
        } else if (is(s, o0, l0, MSET)) {
            if (argc < 3 || argc % 2 == 0) return arity("mset");
            synchronized (store) { // all keys at once, as Redis does: no reader sees half of an MSET
                for (int i = 1; i < argc; i += 2) {
                    store.set(s, off[i], len[i], s, off[i + 1], len[i + 1], 0, KvStore.ALWAYS);
                }
            }
            out.raw(OK);
        } else if (is(s, o0, l0, COMMAND)) {
            return command(s, off, len, argc);
        } else if (is(s, o0, l0, CONFIG)) {
            return config(s, off, len, argc);
        } else if (is(s, o0, l0, QUIT)) {
            out.raw(OK);
            return false; // the parser stops; onData closes after the flush
        } else {
            return unknown(s, off, len, argc);
        }
        return true;
    }

    /** SET key value [NX|XX] [EX seconds|PX milliseconds|KEEPTTL]. */
    private boolean set(MemorySegment s, long[] off, int[] len, int argc) {
        if (argc < 3) return arity("set");
        int when = KvStore.ALWAYS;
        long deadline = 0;
        boolean expiry = false;
        for (int i = 3; i < argc; i++) {
            long o = off[i];
            int l = len[i];
            boolean ex = is(s, o, l, EX), px = is(s, o, l, PX);
            if ((ex || px) && i + 1 < argc && !expiry) {
                long n = RespParser.number(s, off[i + 1], off[i + 1] + len[i + 1]);
                if (n == Long.MIN_VALUE) return error("ERR value is not an integer or out of range");
                long ms = ex ? (n > Long.MAX_VALUE / 1000 ? -1 : n * 1000) : n;
                if (n <= 0 || ms <= 0 || ms > Long.MAX_VALUE / 2) return error("ERR invalid expire time in 'set' command");
                deadline = KvStore.nowMillis() + ms;
                expiry = true;
                i++;
            } else if (is(s, o, l, KEEPTTL) && !expiry) {
                deadline = KvStore.KEEP_TTL;
                expiry = true;
            } else if (is(s, o, l, NX) && when != KvStore.IF_PRESENT) {
                when = KvStore.IF_ABSENT;
            } else if (is(s, o, l, XX) && when != KvStore.IF_ABSENT) {
                when = KvStore.IF_PRESENT;
            } else {
                return error("ERR syntax error");
            }
        }
        if (kv.store().set(s, off[1], len[1], s, off[2], len[2], deadline, when)) out.raw(OK);
        else out.nil();
        return true;
    }

    /** COMMAND, COMMAND COUNT, COMMAND DOCS / INFO / LIST: as much as redis-cli needs to start. */
    private boolean command(MemorySegment s, long[] off, int[] len, int argc) {
        if (argc == 1) {
            out.raw(EMPTY);
            return true;
        }
        if (is(s, off[1], len[1], COUNT)) {
            out.integer(COMMANDS.length);
        } else if (is(s, off[1], len[1], DOCS) || is(s, off[1], len[1], INFO) || is(s, off[1], len[1], LIST)) {
            out.raw(EMPTY); // no docs: redis-cli falls back to its own built-in help
        } else {
            return error("ERR unknown subcommand '" + text(s, off[1], len[1], 128) + "'. Try COMMAND HELP.");
        }
        return true;
    }

    /** CONFIG GET name...: save and appendonly as redis-benchmark asks for them; nothing else is known. */
    private boolean config(MemorySegment s, long[] off, int[] len, int argc) {
        if (argc < 2) return arity("config");
        if (!is(s, off[1], len[1], GET)) {
            return error("ERR unknown subcommand '" + text(s, off[1], len[1], 128) + "'. Try CONFIG HELP.");
        }
        if (argc < 3) return arity("config|get");
        java.util.List<String> pairs = new java.util.ArrayList<>();
        for (int i = 2; i < argc; i++) {
            String name = text(s, off[i], len[i], Integer.MAX_VALUE).toLowerCase(java.util.Locale.ROOT);
            if (name.equals("save") && !pairs.contains("save")) pairs.addAll(java.util.List.of("save", ""));
            if (name.equals("appendonly") && !pairs.contains("appendonly")) pairs.addAll(java.util.List.of("appendonly", "no"));
        }
        out.arrayHeader(pairs.size());
        for (String p : pairs) out.bulk(b(p));
        return true;
    }

    private boolean unknown(MemorySegment s, long[] off, int[] len, int argc) {
        // Redis 7.0: the name cut at 128 bytes, then each argument quoted while the list is under 128 bytes.
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < argc && args.length() < 128; i++) {
            String arg = text(s, off[i], len[i], 128 - args.length());
            args.append('\'').append(arg).append("' ");
        }
        return error("ERR unknown command '" + text(s, off[0], len[0], 128) + "', with args beginning with: " + args);
    }

    private boolean arity(String name) {
        return error("ERR wrong number of arguments for '" + name + "' command");
    }

    private boolean error(String text) {
        state.errors++;
        out.error(text);
        return true;
    }

    private static String text(MemorySegment s, long off, int len, int max) {
        byte[] b = new byte[Math.min(len, max)];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }
}
