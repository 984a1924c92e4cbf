package io.github.ffmreactor.cli;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.kv.Kv;
import io.github.ffmreactor.kv.KvConfig;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code kv --train}: a server on a loopback port and a client in the same process that sends it
 * what redis-benchmark and client libraries send (PING inline and multibulk, SET, GET, pipelined
 * and one at a time, then HELLO 3, CLIENT, INFO, MULTI/EXEC, SCAN, expiry), then stops. Run under
 * {@code java -XX:AOTCacheOutput=kv.aot}, it leaves a JDK 25 ahead-of-time cache (the classes
 * loaded and linked, and the profiles of the hot methods) that a later {@code -XX:AOTCache=kv.aot}
 * server starts from, so its first requests do not wait for class loading and the JIT's profiling.
 *
 * <p>{@code kv --warmup} runs the same load for a bounded time inside the server's own JVM before
 * its listener opens: the cache holds no compiled code, so without it the JIT still compiles the
 * hot path during the first requests.
 */
final class KvTrain {
    private KvTrain() {}

    /**
     * Clients of the load: the first {@link #SCRIPTED} run the everyday script, all of them the
     * pipelined rounds. As many as redis-benchmark's 50 and more: trained with 8, the JIT's code
     * met its first larger turn (a longer list of connections to flush) only on the real server,
     * and threw it away there (an uncommon trap, measured with -Xlog:deoptimization).
     */
    static final int CONNECTIONS = 64, SCRIPTED = 8, DEPTH = 16;

    /**
     * Every this many rounds one client hangs up and a new one connects, so that an accept and a
     * connection's first reply happen after the JIT compiled the turn too. redis-benchmark opens
     * 50 new connections for every test; trained on long-lived ones only, the compiled turn took
     * the listener's readiness and a fresh connection's first write for never-seen branches and
     * was deoptimized in the first milliseconds of each real client's test.
     */
    static final int RECONNECT_EVERY = 16;

    static int run(KvConfig config, Kv kv, LoopOptions options, Trigger trigger, int requests, PrintStream out) throws Exception {
        long t0 = System.nanoTime();
        EventLoop loop = EventLoop.open(options);
        long sent = drive(kv, loop, trigger, "train", at -> load(at, requests, Long.MAX_VALUE));
        sent += drive(new Kv(config), EventLoop.open(options), trigger, "train", at -> pingPongs(at, Long.MAX_VALUE));
        out.printf("ffmreactor kv trained: %d requests in %d ms backend=%s trigger=%s%n", sent,
                (System.nanoTime() - t0) / 1_000_000, loop.backend(), trigger.name().toLowerCase(Locale.ROOT));
        out.println("ffmreactor kv counters: " + kv.counters());
        out.flush();
        return 0;
    }

    /**
     * {@code kv --warmup}: the same load for at most {@code budget} and {@link #WARMUP_REQUESTS}
     * requests, against a server of its own (a new {@link Kv} with the same limits, on a loop of
     * the same options, listening on an ephemeral loopback port) that is stopped and closed before
     * this returns, then {@link #PING_PONGS} single PINGs against a second such server (within
     * what is left of the budget): the JIT has seen the hot path, and the real server starts with
     * an empty store, its own counters and no other thread. Returns the requests sent. Without it a cold JVM ran
     * a trickled 40,000-key MGET through interpreted code for hundreds of ms (437 ms measured),
     * while every other client of the loop waited.
     */
    static long warmUp(KvConfig config, LoopOptions options, Trigger trigger, Duration budget) throws Exception {
        if (budget.isZero()) return 0;
        long t0 = System.nanoTime(), nanos = budget.toNanos();
        long loadNanos = nanos - Math.min(nanos / 5, PING_PONG_RESERVE.toNanos());
        long sent = drive(new Kv(config), EventLoop.open(options), trigger, "warmup", at -> load(at, WARMUP_REQUESTS, loadNanos));
        long left = nanos - (System.nanoTime() - t0);
        if (left <= 0) return sent;
        return sent + drive(new Kv(config), EventLoop.open(options), trigger, "warmup", at -> pingPongs(at, left));
    }

    /**
     * Where a warm-up stops if its time has not run out first. Measured (server pinned to one CPU
     * of a loaded machine, requests per CPU ms of the process every 20,800 requests): the rate
     * rises by steps as the JIT compiles, and makes its last step, from about 260 to 520-1040
     * requests per CPU ms, at 460,000-560,000 requests, when the loop's per-read methods reach C2.
     */
    static final long WARMUP_REQUESTS = 600_000;

    /**
     * Round trips of one PING at a time on one connection after the pipelined load ({@link
     * #pingPongs}): each is a turn of the loop with one event. The pipelined load answers about a
     * hundred requests per turn, so 600,000 requests were a few thousand turns, and the per-turn
     * methods (the wait, the idler, the task and timer checks) had not reached C2 when the real
     * clients came: they were compiled in the first real second instead (-XX:+PrintCompilation).
     */
    static final int PING_PONGS = 20_000;

    /**
     * The part of a warm-up's budget kept for {@link #PING_PONGS} (a fifth of it, at most this).
     * The pipelined load used to have the whole budget and, on a machine where it did not reach
     * {@link #WARMUP_REQUESTS} in time, left the PINGs none: the first loop's stop had thrown its
     * compiled turn away (an uncommon trap in the task queue's check), and the real server
     * recompiled it during its first client, on its one CPU (-Xlog:jit+compilation: EventLoop.turn
     * at tier 3, then 4, in the first 100 ms of a hostile case).
     */
    static final Duration PING_PONG_RESERVE = Duration.ofSeconds(2);

    /** A client load against a server's address: how many requests it had answered. */
    private interface Load {
        long run(InetSocketAddress at) throws IOException;
    }

    /**
     * Serves {@code kv} on {@code loop} from a thread of its own ({@code kv-<what>-loop}) and loads
     * it; the loop is stopped and closed before this returns.
     *
     * @throws IOException {@code kv --<what>: the server's loop failed: <cause>} when the loop died
     *                     (the client's own error is attached as suppressed), or the client's error
     */
    private static long drive(Kv kv, EventLoop loop, Trigger trigger, String what, Load load) throws Exception {
        Listener listener;
        try {
            listener = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, kv::handler);
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        kv.sweepOn(loop);
        loop.start("kv-" + what + "-loop");
        long sent = -1;
        IOException clientFailed = null;
        try {
            sent = load.run(listener.localAddress());
        } catch (IOException e) {
            clientFailed = e;
        } finally {
            loop.shutdown(Duration.ofSeconds(2));
            if (!loop.awaitTermination(Duration.ofSeconds(10))) loop.close();
        }
        Throwable cause = loop.terminationCause();
        if (cause != null) {
            IOException e = new IOException("kv --" + what + ": the server's loop failed: " + cause, cause);
            if (clientFailed != null) e.addSuppressed(clientFailed);
            throw e;
        }
        if (clientFailed != null) throw clientFailed;
        return sent;
    }

    private static byte[] cmd(String... args) {
        StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String a : args) b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Sends until {@code requests} are answered or {@code budgetNanos} have passed; returns the count. */
    private static long load(InetSocketAddress at, long requests, long budgetNanos) throws IOException {
        long t0 = System.nanoTime();
        Socket[] socks = new Socket[CONNECTIONS];
        InputStream[] ins = new InputStream[CONNECTIONS];
        OutputStream[] outs = new OutputStream[CONNECTIONS];
        Socket[] slow = new Socket[SLOW_READERS];
        long sent = 0;
        int open = 0;
        try {
            for (int i = 0; i < SLOW_READERS; i++) {
                slow[i] = new Socket();
                slow[i].setReceiveBufferSize(16 << 10); // before connecting: the window is agreed then
                slow[i].setSoTimeout(10_000);
                slow[i].connect(at);
            }
            for (int i = 0; i < CONNECTIONS; i++) {
                // The budget bounds the scripts too: in a fresh JVM they are slow (measured on a loaded
                // machine: the loop's set-up and the eight scripts, 264 requests, took 1.6-3.6 s).
                if (System.nanoTime() - t0 >= budgetNanos && i > 0) break;
                connect(at, socks, ins, outs, i);
                if (i < SCRIPTED) sent += everyday(outs[i], ins[i], i);
                open++;
            }
            for (int i = 0; i < 3 && open > 0; i++) sent += trickle(outs[0], ins[0], 2000);
            byte[][] shapes = shapes();
            byte[][] batches = new byte[shapes.length][];
            for (int s = 0; s < shapes.length; s++) batches[s] = repeat(shapes[s], DEPTH);
            for (int round = 0; sent < requests && System.nanoTime() - t0 < budgetNanos; round++) {
                // Mostly pipelined, as redis-benchmark -P 16 sends it (one write), some one at a time.
                int depth = round % 5 == 4 ? 1 : DEPTH;
                byte[] batch = depth == 1 ? shapes[round % shapes.length] : batches[round % shapes.length];
                for (int i = 0; i < open; i++) outs[i].write(batch);
                for (int i = 0; i < open; i++) for (int d = 0; d < depth; d++) reply(ins[i]);
                sent += (long) depth * open;
                if (round % HOSTILE_EVERY == HOSTILE_EVERY / 2) {
                    // The shapes of hostile or unusual clients, again after the JIT compiled the
                    // common ones: met only once at the start, they were compiled as never taken
                    // and deoptimized the parser and the writer while a real one was served.
                    sent += trickle(outs[0], ins[0], round / HOSTILE_EVERY % 2 == 0 ? 2000 : 50_000);
                    sent += manyArgs(outs[0], ins[0], 5_000);
                }
                if (round % BIG_EVERY == BIG_EVERY / 2) {
                    sent += bigValue(outs[open - 1], ins[open - 1]);
                    for (Socket r : slow) r.getOutputStream().write(SLOW_GETS);
                } else if (round % BIG_EVERY == BIG_EVERY / 2 + 1) {
                    for (Socket r : slow) {
                        InputStream in = new BufferedInputStream(r.getInputStream(), 1 << 16);
                        for (int g = 0; g < SLOW_GET_COUNT; g++) reply(in);
                    }
                    sent += SLOW_READERS * SLOW_GET_COUNT;
                }
                if (round % RECONNECT_EVERY == RECONNECT_EVERY - 1 && open > SCRIPTED) {
                    int i = SCRIPTED + (round / RECONNECT_EVERY) % (open - SCRIPTED);
                    socks[i].close();
                    connect(at, socks, ins, outs, i);
                    sent += configQuery(outs[i], ins[i]);
                }
            }
        } finally {
            for (Socket s : socks) if (s != null) s.close();
            for (Socket s : slow) if (s != null) s.close();
        }
        return sent;
    }

    /**
     * What redis-benchmark asks first on every run (its config query); its array of bulk replies,
     * met only at start before, deoptimized the reply writer in the first real client's first ms.
     */
    private static int configQuery(OutputStream o, InputStream in) throws IOException {
        o.write(CONFIG_QUERY);
        reply(in);
        reply(in);
        return 2;
    }

    /**
     * {@link #PING_PONGS} PINGs one at a time on one connection, within {@code budgetNanos}: a turn
     * each. On a loop of their own, after the pipelined load's loop stopped: stopping a loop takes
     * branches of the turn its traffic never took, and the JIT threw the compiled turn away right
     * there (an uncommon trap); a second loop recompiles it with those branches seen, and its own
     * stop then takes none that are new.
     */
    private static long pingPongs(InetSocketAddress at, long budgetNanos) throws IOException {
        long t0 = System.nanoTime();
        byte[] ping = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
        long sent = 0;
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 12);
            OutputStream out = s.getOutputStream();
            while (sent < PING_PONGS && System.nanoTime() - t0 < budgetNanos) {
                out.write(ping);
                reply(in);
                sent++;
            }
        }
        return sent;
    }

    private static final byte[] CONFIG_QUERY = concat(cmd("CONFIG", "GET", "save"), cmd("CONFIG", "GET", "appendonly"));

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void connect(InetSocketAddress at, Socket[] socks, InputStream[] ins, OutputStream[] outs, int i)
            throws IOException {
        socks[i] = new Socket(at.getAddress(), at.getPort());
        socks[i].setTcpNoDelay(true);
        socks[i].setSoTimeout(10_000);
        ins[i] = new BufferedInputStream(socks[i].getInputStream(), 1 << 16);
        outs[i] = socks[i].getOutputStream();
    }

    private static byte[] repeat(byte[] one, int times) {
        byte[] b = new byte[one.length * times];
        for (int i = 0; i < times; i++) System.arraycopy(one, 0, b, i * one.length, one.length);
        return b;
    }

    /**
     * The pipelined commands, one shape per round: PING, and SET, GET (hit and miss) and MGET over
     * keys of 1 to 24 bytes. The JIT compiles for what it has seen: trained on one key length
     * only, its code for SipHash's tail bytes was thrown away (deoptimized, measured with JFR) the
     * first time a 1-byte key came, and the loop ran interpreted meanwhile. The MGET of 300 keys
     * fills more than a read buffer per batch, so commands also arrive split across reads (parsed
     * from the held heap buffer, not the native read buffer: the other kind of segment).
     */
    private static byte[][] shapes() {
        List<byte[]> shapes = new ArrayList<>(List.of("PING\r\n".getBytes(StandardCharsets.US_ASCII), cmd("PING"),
                cmd("SET", "key:__rand_int__", "xxx"), cmd("GET", "key:__rand_int__")));
        String[] keys = new String[301];
        keys[0] = "MGET";
        for (int i = 1; i < keys.length; i++) keys[i] = (i % 3 == 0 ? "m" : "k").repeat(1 + i % 24);
        byte[] mget = cmd(keys);
        for (int n = 1; n <= 24; n += 2) {
            String k = "k".repeat(n);
            shapes.add(cmd("SET", k, "v".repeat(n)));
            shapes.add(cmd("GET", k));
            shapes.add(cmd("GET", "m".repeat(n)));
            if (n % 6 == 5) shapes.add(mget);
        }
        return shapes.toArray(byte[][]::new);
    }

    /** Rounds between two passes of the unusual shapes ({@link #trickle}, {@link #manyArgs}). */
    static final int HOSTILE_EVERY = 128;

    /**
     * Rounds between two {@link #bigValue}s. Every 128 rounds (5 or 6 in a 10 s warm-up) left the
     * long-argument path (read into the value's own memory, a piece per read) to the interpreter
     * and the JIT's first compiles in the first real 16 MiB SET: 10-15 ms compiles on the
     * server's one CPU while the value arrived, and a replaced long value freed for the first
     * time deoptimized the store's release.
     */
    static final int BIG_EVERY = 16;

    /**
     * Clients that send {@link #SLOW_GET_COUNT} GETs of the long value each {@link #BIG_EVERY}
     * rounds and read the replies only after a round of the others' traffic, with a 16 KiB
     * receive buffer: 6 MiB is more than the server's socket takes (3.5 MB on loopback before
     * EAGAIN, native-notes/epoll.md), so a write meets EAGAIN, the loop waits for writability,
     * stops reading from them while a reply is queued past the pause threshold, and runs their
     * next GET when it drains. Never trained, that path was compiled as never taken, and 20 real non-readers
     * of a 16 MiB value deoptimized the output queue, the counters and the interest update in
     * their first milliseconds (-Xlog:deoptimization), with 4-6 ms recompiles on the server's one
     * CPU while a PING waited. Not trained: the loop's whole output budget (64 MiB) exceeded,
     * which 20 non-readers of 16 MiB reach and these do not (kv runs a client's next command only
     * once its output drained); one deoptimization is left in that case. 36 GETs each every
     * fourth pass did not reach it (they run one at a time) and cost a third of the warm-up's
     * requests.
     */
    static final int SLOW_READERS = 2, SLOW_GET_COUNT = 6;
    private static final byte[] SLOW_GETS = repeat(cmd("GET", "train:b"), SLOW_GET_COUNT);

    /** A command "x" of {@code args} arguments, one argument per write; kv answers it unknown. */
    private static int manyArgs(OutputStream o, InputStream in, int args) throws IOException {
        o.write(("*" + args + "\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] one = "$1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < args; i++) o.write(one);
        reply(in);
        return 1;
    }

    private static final byte[] BIG = filled(1 << 20, (byte) 'b');

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }

    /**
     * A 1 MiB value stored (replacing the last one) and read back: sent 16 KiB per write, so the
     * server reads it piece by piece into its memory as it would a client's; more than a socket
     * takes at once, so the reply goes by reference, in several writes, with writability waited for.
     */
    private static int bigValue(OutputStream o, InputStream in) throws IOException {
        byte[] head = ("*3\r\n$3\r\nSET\r\n$7\r\ntrain:b\r\n$" + BIG.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
        o.write(head);
        for (int at = 0; at < BIG.length; at += 16 << 10) o.write(BIG, at, Math.min(16 << 10, BIG.length - at));
        o.write(CRLF);
        reply(in);
        o.write(cmd("GET", "train:b"));
        reply(in);
        return 2;
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /**
     * A {@code keys}-key MGET (a multiple of 20) sent 20 keys per write. The 50,000-key one
     * makes a reply of 350 KB, more than the writer and the output queue had held and more than
     * a connection sends in one turn (256 KiB), so it goes out over two: trained on 2,000 keys
     * only, a 40,000-key MGET took 45-74 ms from its last packet to its whole reply for its first
     * four times (deoptimized growth paths), 6-8 ms once recompiled; with 30,000 (a reply within
     * one turn's quantum) the first 40,000-key one still deoptimized the output queue's copy.
     * As a slow or hostile client sends it: parsed piece by piece as it comes.
     */
    private static int trickle(OutputStream o, InputStream in, int keys) throws IOException {
        o.write(("*" + (keys + 1) + "\r\n$4\r\nMGET\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] packet = "$1\r\nk\r\n".repeat(20).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < keys / 20; i++) o.write(packet);
        reply(in);
        return 1;
    }

    /** What client libraries send: HELLO, CLIENT, SELECT, INFO, transactions, expiry, SCAN. Returns the count. */
    private static int everyday(OutputStream o, InputStream in, int n) throws IOException {
        String k = "train:" + n;
        String[][] script = {{"HELLO", "3"}, {"CLIENT", "SETINFO", "LIB-NAME", "train"}, {"CLIENT", "SETNAME", "t" + n},
            {"CLIENT", "ID"}, {"SELECT", "0"}, {"INFO"}, {"SET", k, "1", "EX", "100"}, {"INCRBY", k, "5"}, {"DECR", k},
            {"TTL", k}, {"PTTL", k}, {"PERSIST", k}, {"EXPIRE", k, "100"}, {"APPEND", k, "0"}, {"STRLEN", k},
            {"MULTI"}, {"SET", k, "2"}, {"GET", k}, {"EXEC"}, {"MSET", k, "1", k + "b", "2"}, {"MGET", k, k + "b"},
            {"EXISTS", k}, {"TYPE", k}, {"SCAN", "0", "MATCH", "train:*", "COUNT", "100"}, {"KEYS", "train:*"},
            {"DBSIZE"}, {"GETDEL", k + "b"}, {"SETNX", k, "3"}, {"SETEX", k, "100", "4"}, {"DEL", k}, {"HELLO", "2"},
            {"GET", k}, {"NOSUCH"}};
        for (String[] c : script) o.write(cmd(c));
        o.flush();
        for (int i = 0; i < script.length; i++) reply(in);
        return script.length;
    }

    /** Reads one reply of any RESP2 or RESP3 type. */
    private static void reply(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '$', '=' -> {
                int n = Integer.parseInt(line);
                if (n >= 0) in.skipNBytes(n + 2L);
            }
            case '*', '~', '>' -> {
                int n = Integer.parseInt(line);
                for (int i = 0; i < n; i++) reply(in);
            }
            case '%' -> {
                int n = Integer.parseInt(line);
                for (int i = 0; i < 2 * n; i++) reply(in);
            }
            case -1 -> throw new EOFException("kv load: the server closed the connection");
            default -> { } // +, -, :, _, #, , : the line was the whole reply
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c < 0) throw new EOFException("kv load: the server closed the connection");
            b.append((char) c);
        }
        if (in.read() != '\n') throw new IOException("kv load: a reply line without \\r\\n");
        return b.toString();
    }
}
