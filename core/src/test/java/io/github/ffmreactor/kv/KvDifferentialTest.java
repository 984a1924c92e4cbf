package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.RedisServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same commands, byte for byte, to kv and to a real redis-server: every reply (errors and
 * their texts included) must be the same bytes, in RESP2 and after HELLO 3 in RESP3. Commands
 * whose replies differ by nature (HELLO's id, INFO) are left out.
 */
@Timeout(120)
class KvDifferentialTest {
    /** A value just past the size that kv keeps off the heap. */
    static final String BIG = "0123456789abcdef".repeat(BigValue.SIZE / 16) + "end";

    static final String[][] RESP2 = {
        {"PING"}, {"PING", "hi"}, {"PING", "a", "b"}, {"ECHO", "x"}, {"ECHO"},
        {"SET", "k", "v"}, {"GET", "k"}, {"GET", "nope"}, {"GET"}, {"SET", "k"}, {"SET", "k", "v", "NX"}, {"SET", "k", "w", "XX"},
        {"SET", "k", "v", "EX", "0"}, {"SET", "k", "v", "EX", "x"}, {"SET", "k", "v", "FOO"}, {"SET", "k", "v", "NX", "XX"},
        {"SET", "k", "v2", "GET"}, {"SET", "fresh", "v", "GET"},
        {"SETNX", "k", "v"}, {"SETNX", "k2", "v"}, {"SETEX", "k3", "100", "v"}, {"SETEX", "k3", "0", "v"},
        {"SETEX", "k3", "x", "v"}, {"PSETEX", "k4", "100000", "v"}, {"PSETEX", "k4", "-1", "v"}, {"TTL", "k3"}, {"TTL", "k"},
        {"TTL", "none"}, {"PTTL", "none"}, {"PTTL", "k"},
        {"EXPIRE", "k", "100"}, {"TTL", "k"}, {"EXPIRE", "k", "100", "NX"}, {"EXPIRE", "k", "200", "XX"}, {"EXPIRE", "k", "50", "GT"},
        {"EXPIRE", "k", "50", "LT"}, {"TTL", "k"}, {"EXPIRE", "k", "1", "NX", "XX"}, {"EXPIRE", "k", "1", "GT", "LT"},
        {"EXPIRE", "k", "1", "FOO"}, {"EXPIRE", "k", "x"}, {"EXPIRE", "k", "9223372036854775807"}, {"PERSIST", "k"},
        {"PERSIST", "k"}, {"EXPIRE", "none", "10"}, {"PEXPIRE", "k2", "100000"}, {"EXPIRE", "k2", "-1"}, {"EXISTS", "k2"},
        {"APPEND", "k", "xyz"}, {"STRLEN", "k"}, {"STRLEN", "none"}, {"GETDEL", "k"}, {"GETDEL", "k"}, {"APPEND", "new", "ab"},
        {"SET", "n", "10"}, {"INCR", "n"}, {"INCRBY", "n", "5"}, {"DECR", "n"}, {"DECRBY", "n", "3"}, {"INCRBY", "n", "x"},
        {"DECRBY", "n", "-9223372036854775808"}, {"SET", "m", "-9223372036854775808"}, {"INCR", "m"}, {"DECR", "m"},
        {"DECR", "m"}, {"SET", "big", "9223372036854775807"}, {"INCR", "big"}, {"INCRBY", "n", "9223372036854775807"},
        {"SET", "s", "012"}, {"INCR", "s"}, {"INCRBY", "n", "-0"}, {"INCR"},
        {"MSET", "a", "1", "b", "2"}, {"MSET", "a", "1", "b"}, {"MGET", "a", "x", "b"}, {"EXISTS", "a", "b", "x", "a"},
        {"DEL", "a", "x"}, {"UNLINK", "b"}, {"TYPE", "n"}, {"TYPE", "x"}, {"KEYS", "n"}, {"KEYS", "[m]*"}, {"KEYS", "zz*"},
        {"SELECT", "0"}, {"SELECT", "x"},
        {"MULTI"}, {"SET", "t", "1"}, {"INCR", "t"}, {"GET", "t"}, {"EXEC"},
        {"EXEC"}, {"DISCARD"}, {"MULTI"}, {"MULTI"}, {"SET", "t", "2"}, {"DISCARD"}, {"GET", "t"},
        {"MULTI"}, {"NOSUCH"}, {"SET", "t", "3"}, {"EXEC"}, {"GET", "t"},
        {"MULTI"}, {"GET"}, {"EXEC"},
        {"MULTI"}, {"INCR", "k3"}, {"SET", "t", "4"}, {"EXEC"},
        {"MULTI"}, {"WATCH", "x"}, {"DISCARD"}, {"UNWATCH"},
        {"NOSUCH", "a", "b"}, {"nosuch"},
        {"CLIENT", "SETNAME", "bad name"}, {"CLIENT", "SETNAME", "ok"}, {"CLIENT", "GETNAME"}, {"CLIENT", "NOSUCH"},
        {"CLIENT", "SETNAME"}, {"CLIENT"},
        {"HELLO", "4"}, {"HELLO", "x"}, {"HELLO", "2", "FOO"},
        {"SCAN", "x"}, {"SCAN", "0", "COUNT", "0"}, {"SCAN", "0", "MATCH"}, {"SCAN", "0", "FOO", "1"},
        // Values past BigValue.SIZE live off the heap: every command that reads or replaces one.
        {"SET", "bv", BIG}, {"GET", "bv"}, {"STRLEN", "bv"}, {"APPEND", "bv", "-tail"}, {"STRLEN", "bv"}, {"GET", "bv"},
        {"INCR", "bv"}, {"MGET", "bv", "nope", "bv"}, {"SET", "bv", "small", "GET"}, {"GET", "bv"}, {"APPEND", "bv", BIG},
        {"GETDEL", "bv"}, {"EXISTS", "bv"}, {"SET", "bv", BIG, "EX", "100"}, {"TTL", "bv"}, {"DEL", "bv"},
        {"MULTI"}, {"SET", "bv", BIG}, {"GET", "bv"}, {"EXEC"}, {"SET", "bv2", BIG},
        {"FLUSHDB", "x"}, {"DBSIZE"}, {"FLUSHDB"}, {"DBSIZE"}, {"SCAN", "0"}, {"FLUSHALL"}, {"KEYS", "*"},
        {"CONFIG", "GET", "save"}, {"CONFIG", "GET"}, {"COMMAND", "NOSUCH"},
    };

    /** After HELLO 3 (whose reply carries the connection id and the version, and is left out). */
    static final String[][] RESP3 = {
        {"SET", "k", "v"}, {"GET", "k"}, {"GET", "nope"}, {"MGET", "k", "nope"}, {"SET", "k", "v", "NX"},
        {"MULTI"}, {"GET", "nope"}, {"INCR", "c"}, {"EXEC"}, {"CLIENT", "GETNAME"}, {"GETDEL", "nope"},
        {"CONFIG", "GET", "appendonly"}, {"SCAN", "0", "MATCH", "k"}, {"KEYS", "k"}, {"TTL", "k"}, {"TYPE", "k"},
        {"PING"}, {"NOSUCH"}, {"HELLO", "4"}, {"SET", "bv", BIG}, {"GET", "bv"}, {"FLUSHDB"}, {"GET", "bv"},
    };

    static byte[] cmd(String... args) {
        StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String a : args) b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads one whole reply, any RESP2/RESP3 type, and returns its bytes. */
    static byte[] reply(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        readReply(in, out);
        return out.toByteArray();
    }

    private static void readReply(InputStream in, ByteArrayOutputStream out) throws IOException {
        int type = in.read();
        if (type < 0) throw new EOFException();
        out.write(type);
        String line = line(in, out);
        int n = switch (type) {
            case '$', '=', '!' -> {
                int len = Integer.parseInt(line);
                if (len >= 0) out.write(in.readNBytes(len + 2));
                yield 0;
            }
            case '*', '~', '>' -> Math.max(0, Integer.parseInt(line));
            case '%' -> 2 * Integer.parseInt(line);
            default -> 0;
        };
        for (int i = 0; i < n; i++) readReply(in, out);
    }

    private static String line(InputStream in, ByteArrayOutputStream out) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) throw new EOFException();
            b.append((char) c);
        }
        in.read();
        out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write('\r');
        out.write('\n');
        return b.toString();
    }

    /** Each command's reply from one connection to {@code port}, as text (RESP2, then HELLO 3 and RESP3). */
    static List<String> replies(int port) throws IOException {
        List<String> r = new ArrayList<>();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (String[] c : RESP2) {
                s.getOutputStream().write(cmd(c));
                r.add(String.join(" ", c) + " -> " + new String(reply(in), StandardCharsets.ISO_8859_1));
            }
            s.getOutputStream().write(cmd("HELLO", "3"));
            reply(in);
            for (String[] c : RESP3) {
                s.getOutputStream().write(cmd(c));
                r.add("RESP3 " + String.join(" ", c) + " -> " + new String(reply(in), StandardCharsets.ISO_8859_1));
            }
        }
        return r;
    }

    @Test
    void everyReplyIsRedisServersBytes() throws Exception {
        List<String> want;
        try (RedisServer redis = RedisServer.start()) {
            want = replies(redis.port);
        }
        Kv server = new Kv(KvConfig.defaults());
        try (LoopRunner kv = new LoopRunner(server.options(LoopOptions.defaults()), Trigger.LEVEL, server::handler)) {
            List<String> got = replies(kv.address().getPort());
            for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), "reply " + i);
            assertEquals(want.size(), got.size());
        }
    }
}
