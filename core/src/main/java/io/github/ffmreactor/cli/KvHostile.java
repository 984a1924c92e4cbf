package io.github.ffmreactor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The three hostile clients of issue 20, run against any RESP server (kv or redis-server) while a
 * second connection sends {@code PING} every millisecond and times each answer: how long one
 * client's abuse makes everybody else wait.
 * <ul>
 *   <li>{@code trickle}: a 40,000-argument {@code MGET} sent 20 arguments per packet;</li>
 *   <li>{@code bigget}: a 16 MiB value stored, then 20 clients {@code GET} it and never read
 *       (the server's RSS growth is read from /proc when its pid is known);</li>
 *   <li>{@code args}: {@code *1048576} and then one {@code $1 x} per packet.</li>
 * </ul>
 * Used by {@code benchmarks.jar kv-hostile} (kv and redis-server side by side) and by the tests.
 */
public final class KvHostile {
    private KvHostile() {}

    /** The cases, in the order they run. */
    public static final List<String> CASES = List.of("trickle", "bigget", "args");

    /**
     * What one case measured: the PINGs answered meanwhile (worst, p99, p50 in ms), how long the
     * case ran, and the server's RSS (KiB, -1 unknown) before, after its setup, and at its peak.
     */
    public record Result(String name, int pings, double worstMs, double p99Ms, double p50Ms, long millis,
                         long rssStartKiB, long rssSetupKiB, long rssPeakKiB, long worstAtEpochMillis) {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

        /** RSS growth from after the setup to the peak, in MiB; -1 unknown. */
        public long growthMiB() {
            return rssPeakKiB < 0 || rssSetupKiB < 0 ? -1 : (rssPeakKiB - rssSetupKiB) >> 10;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-8s %6d pings  worst %8.2f ms (at %s)  p99 %6.2f ms  p50 %5.2f ms  %6d ms run  RSS +%s MiB",
                    name, pings, worstMs, TIME.format(Instant.ofEpochMilli(worstAtEpochMillis)), p99Ms, p50Ms, millis,
                    rssPeakKiB < 0 ? "?" : Long.toString(growthMiB()));
        }
    }

    /** Runs case {@code name} against {@code at}; {@code pid} (or -1) is the server's, for its RSS. */
    public static Result run(String name, InetSocketAddress at, long pid) throws IOException, InterruptedException {
        return switch (name) {
            case "trickle" -> trickle(at, pid, 40_000, 20);
            case "bigget" -> bigGet(at, pid, 16 << 20, 20);
            case "args" -> manyArgs(at, pid, 1 << 20);
            default -> throw new IllegalArgumentException("no hostile case '" + name + "' (cases: " + CASES + ")");
        };
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static Socket connect(InetSocketAddress at) throws IOException {
        Socket s = new Socket(at.getAddress(), at.getPort());
        s.setTcpNoDelay(true);
        s.setSoTimeout(60_000);
        return s;
    }

    static void expect(InputStream in, String want) throws IOException {
        String got = new String(in.readNBytes(want.length()), StandardCharsets.US_ASCII);
        if (!got.equals(want)) throw new IOException("expected " + want.strip() + ", got " + got.strip());
    }

    /** A 40,000-argument MGET, {@code perPacket} arguments per write, then its whole reply read and checked. */
    static Result trickle(InetSocketAddress at, long pid, int keys, int perPacket) throws IOException, InterruptedException {
        try (Socket s = connect(at); Pinger p = new Pinger(at, pid)) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"));
            expect(in, "+OK\r\n");
            p.setupDone();
            o.write(ascii("*" + (keys + 1) + "\r\n$4\r\nMGET\r\n"));
            byte[] packet = ascii("$1\r\nk\r\n".repeat(perPacket));
            for (int i = 0; i < keys / perPacket; i++) o.write(packet);
            byte[] reply = in.readNBytes(("*" + keys + "\r\n").length() + keys * 7);
            if (!new String(reply, StandardCharsets.US_ASCII).endsWith("$1\r\nv\r\n")) throw new IOException("MGET's reply is cut short");
            return p.result("trickle");
        }
    }

    /** Stores a {@code size}-byte value, then {@code clients} clients GET it and do not read for 2 s. */
    static Result bigGet(InetSocketAddress at, long pid, int size, int clients) throws IOException, InterruptedException {
        List<Socket> readers = new ArrayList<>();
        try (Socket s = connect(at); Pinger p = new Pinger(at, pid)) {
            // The value is sent and read back 64 KiB at a time: a 16 MiB array here would make this
            // JVM collect garbage, and its pauses would stop the pinger too (seen: 140-330 ms
            // "PINGs" while the server sat in epoll_wait).
            byte[] piece = new byte[1 << 16];
            Arrays.fill(piece, (byte) 'v');
            OutputStream o = s.getOutputStream();
            o.write(ascii("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n"));
            for (int left = size; left > 0; left -= piece.length) o.write(piece, 0, Math.min(left, piece.length));
            o.write(ascii("\r\n"));
            expect(s.getInputStream(), "+OK\r\n");
            p.setupDone();
            try {
                for (int i = 0; i < clients; i++) {
                    Socket r = new Socket();
                    readers.add(r);
                    r.setReceiveBufferSize(64 * 1024);
                    r.connect(at);
                    r.getOutputStream().write(ascii("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"));
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() < until) Thread.sleep(20); // the pinger samples RSS meanwhile
                Result r = p.result("bigget");
                byte[] head = ascii("$" + size + "\r\n");
                readers.get(0).setSoTimeout(60_000);
                InputStream in = readers.get(0).getInputStream();
                if (!Arrays.equals(head, in.readNBytes(head.length))) throw new IOException("GET of the big value: a wrong header");
                for (int left = size + 2; left > 0; ) {
                    int n = in.read(piece, 0, Math.min(left, piece.length));
                    if (n < 0 || (left > 2 && piece[0] != 'v')) throw new IOException("GET of the big value: reply cut short or wrong");
                    left -= n;
                }
                return r;
            } finally {
                for (Socket r : readers) r.close();
            }
        }
    }

    /** {@code *args} and then one {@code $1 x} per write: the command "x" with args-1 arguments, then its reply. */
    static Result manyArgs(InetSocketAddress at, long pid, int args) throws IOException, InterruptedException {
        try (Socket s = connect(at); Pinger p = new Pinger(at, pid)) {
            p.setupDone();
            OutputStream o = s.getOutputStream();
            o.write(ascii("*" + args + "\r\n"));
            byte[] one = ascii("$1\r\nx\r\n");
            for (int i = 0; i < args; i++) o.write(one);
            expect(s.getInputStream(), "-ERR unknown command 'x', with args beginning with: 'x' ");
            return p.result("args");
        }
    }

    /**
     * A second connection that sends {@code PING} about every millisecond and keeps each round
     * trip (at most 2^20 of them, in a preallocated array), and the server's RSS at its peak.
     */
    static final class Pinger implements AutoCloseable {
        private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
        private final Socket socket;
        private final long pid;
        private final long[] nanos = new long[1 << 20];
        private final long start = System.nanoTime();
        private final long startEpochMillis = System.currentTimeMillis();
        private volatile long worstNanos, worstAt;
        private final long rssStart;
        private volatile long rssSetup = -1, rssPeak = -1;
        private volatile int count;
        private volatile boolean stop;
        private volatile IOException failure;
        private final Thread thread;

        Pinger(InetSocketAddress at, long pid) throws IOException {
            this.socket = connect(at);
            this.pid = pid;
            this.rssStart = rssKiB(pid);
            ping(); // connected and answered before the case starts
            thread = Thread.ofPlatform().name("kv-hostile-pinger").daemon().start(this::loop);
        }

        private long ping() throws IOException {
            long t0 = System.nanoTime();
            socket.getOutputStream().write(PING);
            expect(socket.getInputStream(), "+PONG\r\n");
            return System.nanoTime() - t0;
        }

        private static final byte[] PING = ascii("PING\r\n");

        private void loop() {
            int n = 0, sinceRss = 0;
            try {
                while (!stop && n < nanos.length) {
                    long t0 = System.nanoTime();
                    long rt = ping();
                    nanos[n++] = rt;
                    count = n;
                    if (rt > worstNanos) {
                        worstNanos = rt;
                        worstAt = t0;
                    }
                    if (++sinceRss == 20 && pid > 0) {
                        sinceRss = 0;
                        rssPeak = Math.max(rssPeak, rssKiB(pid));
                    }
                    long wait = PERIOD_NANOS - (System.nanoTime() - t0);
                    if (wait > 0) LockSupport.parkNanos(wait);
                }
            } catch (IOException e) {
                failure = e;
            }
        }

        /** The case's setup (storing its value) is done: RSS growth counts from here. */
        void setupDone() {
            rssSetup = rssKiB(pid);
            rssPeak = Math.max(rssPeak, rssSetup);
        }

        /** Stops pinging and summarises. */
        Result result(String name) throws IOException, InterruptedException {
            stop = true;
            thread.join(70_000);
            if (failure != null) throw new IOException("the PING connection failed during " + name, failure);
            int n = count;
            if (n < nanos.length) { // one after the case, too: the connection still answers
                nanos[n] = ping();
                count = n + 1;
            }
            long peak = Math.max(rssPeak, rssKiB(pid));
            long[] v = Arrays.copyOf(nanos, count);
            Arrays.sort(v);
            return new Result(name, v.length, at(v, 1.0), at(v, 0.99), at(v, 0.5), (System.nanoTime() - start) / 1_000_000,
                    rssStart, rssSetup, pid > 0 ? peak : -1, startEpochMillis + (worstAt - start) / 1_000_000);
        }

        private static double at(long[] sorted, double q) {
            if (sorted.length == 0) return Double.NaN;
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e6;
        }

        @Override
        public void close() throws IOException {
            stop = true;
            socket.close();
        }
    }

    /** VmRSS of {@code pid} in KiB; -1 when unknown (no pid, not Linux, gone). */
    static long rssKiB(long pid) {
        if (pid <= 0) return -1;
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
