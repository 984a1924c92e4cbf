package io.github.ffmreactor.stress;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.ServerProcess;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 8, stress (c): 50 flooders (clients that send all the time and never read) while one
 * well-behaved client measures its round trips. The server's RSS may grow by at most 64 MiB (it
 * grew by about 107 MiB when each connection could queue 1 MiB) and the well-behaved client's p99
 * stays under 200 ms (a loop stalled by the flood would show seconds).
 */
@Tag("stress")
@EnabledOnOs(OS.LINUX)
@Timeout(300)
class FloodStressTest {
    private static final int FLOODERS = 50;
    private static final long MAX_RSS_GROWTH_MIB = 64;
    private static final long MAX_P99_MS = 200;

    @ParameterizedTest
    @ValueSource(strings = {"level", "edge"})
    void floodersNeitherBloatTheServerNorStallOthers(String trigger) throws Exception {
        Stress.assumeEngineTakes(trigger);
        Duration length = Stress.duration(4, 20);
        String name = "c/" + FLOODERS + " flooders for " + length.toSeconds() + " s/" + trigger;
        try (ServerProcess s = ServerProcess.start("echo", "--port", "0", "--trigger", trigger)) {
            Stress.Baseline b = Stress.warmUp(s);
            long[] rtts;
            long peakRss = b.rssKiB();
            try (Flood flood = new Flood(s.port(), FLOODERS); Socket client = new Socket("127.0.0.1", s.port())) {
                client.setSoTimeout(10_000);
                client.setTcpNoDelay(true);
                Thread flooding = Thread.ofPlatform().name("flooders").start(flood);
                List<Long> samples = new ArrayList<>();
                byte[] msg = new byte[64];
                byte[] back = new byte[64];
                OutputStream out = client.getOutputStream();
                DataInputStream in = new DataInputStream(client.getInputStream());
                long end = System.nanoTime() + length.toNanos();
                long nextRss = 0;
                for (int i = 0; System.nanoTime() < end; i++) {
                    Arrays.fill(msg, (byte) i);
                    long t0 = System.nanoTime();
                    out.write(msg);
                    in.readFully(back);
                    samples.add(System.nanoTime() - t0);
                    if (!Arrays.equals(msg, back)) throw new AssertionError(name + ": the well-behaved client got other bytes");
                    if (System.nanoTime() > nextRss) {
                        peakRss = Math.max(peakRss, s.rssKiB());
                        nextRss = System.nanoTime() + 50_000_000L;
                    }
                }
                peakRss = Math.max(peakRss, s.rssKiB());
                flood.stop();
                flooding.join(10_000);
                flood.rethrow();
                rtts = samples.stream().mapToLong(Long::longValue).sorted().toArray();
                Stress.report("%s: flooders sent %d MiB (%d connections still open), server rss peak %d KiB (growth %d KiB); "
                        + "well-behaved client %d round trips p50 %.2f ms p99 %.2f ms max %.2f ms",
                        name, flood.sent() >> 20, flood.open(), peakRss, peakRss - b.rssKiB(), rtts.length,
                        rtts[rtts.length / 2] / 1e6, rtts[(int) (rtts.length * 0.99)] / 1e6, rtts[rtts.length - 1] / 1e6);
            }
            long growthMiB = (peakRss - b.rssKiB()) / 1024;
            assertTrue(growthMiB <= MAX_RSS_GROWTH_MIB,
                    name + ": server RSS grew by " + growthMiB + " MiB under the flood, bound " + MAX_RSS_GROWTH_MIB + " MiB");
            assertTrue(rtts.length >= 100, name + ": only " + rtts.length + " round trips in " + length);
            long p99 = rtts[(int) (rtts.length * 0.99)] / 1_000_000;
            assertTrue(p99 < MAX_P99_MS, name + ": p99 round trip " + p99 + " ms, bound " + MAX_P99_MS + " ms");
            Stress.assertRecovered(name, s, b, MAX_RSS_GROWTH_MIB);
            Stress.assertStopsCleanly(name, s);
        }
    }

    /** Connections that write as fast as the server takes bytes and never read. */
    private static final class Flood implements Runnable, AutoCloseable {
        private final Selector selector = Selector.open();
        private final List<SocketChannel> conns = new ArrayList<>();
        private final ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        private volatile boolean stop;
        private volatile long sent;
        private volatile Throwable failure;

        Flood(int port, int n) throws IOException {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open();
                conns.add(ch);
                // A small receive window: the server's echo backs up into its own queue at once.
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_WRITE);
            }
        }

        @Override
        public void run() {
            try {
                long total = 0;
                while (!stop) {
                    selector.select(50);
                    for (SelectionKey k : selector.selectedKeys()) {
                        try {
                            total += ((SocketChannel) k.channel()).write(chunk.clear());
                        } catch (IOException e) {
                            k.cancel(); // the server closed a flooder: counted by open()
                        }
                    }
                    selector.selectedKeys().clear();
                    sent = total;
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        void stop() {
            stop = true;
            selector.wakeup();
        }

        void rethrow() {
            if (failure != null) throw new AssertionError("flooders failed", failure);
        }

        long sent() {
            return sent;
        }

        int open() {
            return selector.keys().size();
        }

        @Override
        public void close() throws IOException {
            stop();
            for (SocketChannel c : conns) c.close();
            selector.close();
        }
    }
}
