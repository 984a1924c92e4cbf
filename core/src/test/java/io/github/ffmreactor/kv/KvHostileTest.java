package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One client cannot hurt the others: a command trickled in, peers that never read a large value,
 * a reply past the output limit, a command past the query buffer limit. Each is answered (or the
 * offender closed and counted) while another client's PING is answered throughout; the large-value
 * case runs on every engine.
 */
@Timeout(180)
@ExtendWith(NoFdLeaks.class)
class KvHostileTest {
    static LoopRunner server(LoopOptions base, KvConfig config, Trigger trigger, Kv[] out) throws Exception {
        Kv kv = new Kv(config);
        out[0] = kv;
        LoopRunner r = new LoopRunner(kv.options(base), trigger, kv::handler);
        kv.sweepOn(r.loop);
        return r;
    }

    static String cmd(String... args) {
        return KvServerTest.cmd(args);
    }

    /** Round trip of a PING on its own connection, in ms. */
    static double ping(Socket s) throws Exception {
        long t0 = System.nanoTime();
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] b = s.getInputStream().readNBytes(7);
        assertEquals("+PONG\r\n", new String(b, StandardCharsets.US_ASCII));
        return (System.nanoTime() - t0) / 1e6;
    }

    static Socket connect(LoopRunner r) throws Exception {
        Socket s = new Socket(r.address().getAddress(), r.address().getPort());
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** A 40,000-argument MGET sent 20 arguments per packet: answered right, and PING stays answered meanwhile. */
    @Test
    void aTrickledCommandIsAnsweredAndOthersAreServedMeanwhile() throws Exception {
        Kv[] kv = new Kv[1];
        try (LoopRunner r = server(LoopOptions.defaults(), KvConfig.defaults(), Trigger.LEVEL, kv);
             Socket slow = connect(r); Socket other = connect(r)) {
            int n = 40_000;
            OutputStream o = slow.getOutputStream();
            o.write(cmd("SET", "k", "v").getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r\n", new String(slow.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            o.write(("*" + (n + 1) + "\r\n$4\r\nMGET\r\n").getBytes(StandardCharsets.US_ASCII));
            double worst = 0;
            String packet = "$1\r\nk\r\n".repeat(20);
            for (int i = 0; i < n / 20; i++) {
                o.write(packet.getBytes(StandardCharsets.US_ASCII));
                o.flush();
                if (i % 100 == 0) worst = Math.max(worst, ping(other));
            }
            byte[] reply = slow.getInputStream().readNBytes(("*" + n + "\r\n").length() + n * 7);
            assertTrue(new String(reply, StandardCharsets.US_ASCII).endsWith("$1\r\nv\r\n"));
            System.out.printf("[hostile] trickled MGET of %d keys: worst PING meanwhile %.1f ms%n", n, worst);
            assertTrue(worst < 1000, "a PING waited " + worst + " ms");
        }
    }

    static List<org.junit.jupiter.params.provider.Arguments> engines() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    /**
     * Twenty clients GET a 16 MiB value and never read. The value goes out by reference, a chunk
     * at a time as each peer reads: the loop holds a chunk or so per client, not 16 MiB each; the
     * server answers others meanwhile; and once the clients read, each gets the whole value.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void nonReadersOfALargeValueHoldAChunkEachNotTheValue(String backend, Trigger trigger) throws Exception {
        Kv[] kv = new Kv[1];
        try (LoopRunner r = server(LoopOptions.defaults().withBackend(Backend.parse(backend)), KvConfig.defaults(), trigger, kv);
             Socket other = connect(r)) {
            int size = 16 << 20;
            byte[] value = new byte[size];
            for (int i = 0; i < size; i++) value[i] = (byte) ('a' + i % 26);
            other.getOutputStream().write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            other.getOutputStream().write(value);
            other.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r\n", new String(other.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            List<SocketChannel> readers = new ArrayList<>();
            long pid = ProcessHandle.current().pid();
            long rss0 = io.github.ffmreactor.testutil.Proc.rssKiB(pid);
            try {
                for (int i = 0; i < 20; i++) {
                    SocketChannel ch = SocketChannel.open(r.address());
                    ch.socket().setReceiveBufferSize(64 * 1024);
                    ch.write(ByteBuffer.wrap(cmd("GET", "big").getBytes(StandardCharsets.US_ASCII)));
                    readers.add(ch);
                }
                long sent0 = r.loop.stats().bytesOut();
                Await.until("every GET is being answered", () -> r.loop.stats().bytesOut() > sent0 + 20L * 64 * 1024);
                double worst = 0;
                for (int i = 0; i < 20; i++) worst = Math.max(worst, ping(other));
                // The references count as queued output (back-pressure, limits), but nothing holds a copy.
                long queued = r.loop.stats().queuedBytes();
                long grew = io.github.ffmreactor.testutil.Proc.rssKiB(pid) - rss0;
                System.out.printf("[hostile] %s %s: 20 non-readers of 16 MiB: %d MiB queued by reference, RSS +%d KiB, worst PING %.1f ms%n",
                        backend, trigger, queued >> 20, grew, worst);
                assertTrue(queued > 20L * (size - (8 << 20)), "each GET's value is queued by reference: " + queued);
                assertTrue(grew < 64 * 1024, "RSS grew by " + grew + " KiB");
                String header = "$" + size + "\r\n";
                for (SocketChannel ch : readers) {
                    ByteBuffer b = ByteBuffer.allocate(header.length() + size + 2);
                    while (b.hasRemaining()) if (ch.read(b) < 0) throw new AssertionError("closed");
                    b.flip();
                    byte[] got = new byte[b.remaining()];
                    b.get(got);
                    assertEquals(header, new String(got, 0, header.length(), StandardCharsets.US_ASCII));
                    assertEquals(java.util.Arrays.hashCode(value),
                            java.util.Arrays.hashCode(java.util.Arrays.copyOfRange(got, header.length(), header.length() + size)));
                }
            } finally {
                for (SocketChannel ch : readers) ch.close();
            }
            assertEquals(0, r.loop.stats().failures(), r.errors.toString());
        }
    }

    /** A reply past --client-output-buffer-limit to a peer that does not read: closed and counted; others go on. */
    @Test
    void aClientOverTheOutputLimitIsClosedAndCounted() throws Exception {
        Kv[] kv = new Kv[1];
        KvConfig config = new KvConfig(KvConfig.DEFAULT_MAX_BULK, KvConfig.DEFAULT_QUERY_BUFFER_LIMIT, 1 << 20);
        try (LoopRunner r = server(LoopOptions.defaults(), config, Trigger.LEVEL, kv); Socket other = connect(r);
             SocketChannel hog = SocketChannel.open(r.address())) {
            String v = "x".repeat(15_000); // under the by-reference size: copied into the output
            other.getOutputStream().write(cmd("SET", "v", v).getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r\n", new String(other.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            String[] mget = new String[2001];
            mget[0] = "MGET";
            java.util.Arrays.fill(mget, 1, mget.length, "v");
            hog.write(ByteBuffer.wrap(cmd(mget).getBytes(StandardCharsets.US_ASCII))); // a 30 MB reply, never read
            Await.until("the hog is closed", () -> kv[0].counters().contains("outputLimitCloses=1"));
            Await.until("only the other client is open", () -> r.loop.stats().open() == 1);
            assertTrue(ping(other) < 1000);
            assertEquals(0, r.loop.stats().failures(), r.errors.toString());
        }
    }

    /** An unfinished command past --client-query-buffer-limit: a protocol error, then the close. */
    @Test
    void aCommandOverTheQueryBufferLimitIsAnErrorAndAClose() throws Exception {
        Kv[] kv = new Kv[1];
        KvConfig config = new KvConfig(KvConfig.DEFAULT_MAX_BULK, 1 << 20, KvConfig.DEFAULT_OUTPUT_BUFFER_LIMIT);
        try (LoopRunner r = server(LoopOptions.defaults(), config, Trigger.EDGE, kv); Socket other = connect(r);
             Socket big = connect(r)) {
            OutputStream o = big.getOutputStream();
            o.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            InputStream in = big.getInputStream();
            try {
                for (int i = 0; i < 32; i++) o.write(chunk); // 2 MiB: past the 1 MiB limit
            } catch (java.io.IOException closed) {
                // the server closed while we were still sending: fine, its answer is already here
            }
            String want = "-ERR Protocol error: unfinished command over the query buffer limit of 1048576 bytes\r\n";
            assertEquals(want, new String(in.readNBytes(want.length()), StandardCharsets.US_ASCII));
            assertTrue(ping(other) < 1000);
            assertTrue(kv[0].counters().contains("protocolErrors=1"), kv[0].counters());
        }
    }
}
