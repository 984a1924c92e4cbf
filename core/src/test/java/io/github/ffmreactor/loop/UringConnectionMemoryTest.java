package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.OnLoop;
import java.io.IOException;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a connection costs in native memory on the io_uring engine, at the size of the stress suite's
 * cases but inside the normal build: 1,000 idle connections hold no chunk at all, 1,000 peers that
 * never read (paused) hold at most what the back-pressure limit lets them queue plus one receive
 * buffer each, and everything goes back (chunks returned, extra slabs unmapped) once they leave.
 * The stress suite measured the same from outside (server RSS); this pins it per connection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class UringConnectionMemoryTest {
    private static final int CONNECTIONS = 1_000;
    /** Pause reading above 16 KiB queued: paused connections are cheap to reach with small buffers. */
    private static final LoopOptions URING = LoopOptions.defaults().withBackend(Backend.IO_URING)
            .withLimits(16 * 1024, 1 << 20);

    @AfterEach
    void clearFaults() {
        Faults.clear();
    }

    /** No memory for a chunk (mmap fails): that connection is failed and closed, the loop and the next one go on. */
    @Test
    void refusedChunkMemoryFailsOnlyThatConnection() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            Faults.fail(Faults.Call.MMAP, Faults.ANY_FD, 0, Errno.ENOMEM, 1); // the pool's first slab
            try (Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[48]);
                int n;
                try {
                    n = s.getInputStream().read();
                } catch (IOException reset) {
                    n = -1;
                }
                assertEquals(-1, n, "the connection whose echo found no memory is closed");
            }
            assertEquals(1, Faults.fired(Faults.Call.MMAP));
            Await.until("the failure reported", () -> !r.errors.isEmpty());
            assertTrue(String.valueOf(r.errors.get(0).getMessage()).contains("mmap"), r.errors.toString());
            assertTrue(String.valueOf(r.errors.get(0).getMessage()).contains("ENOMEM"), r.errors.toString());
            try (Socket s = new Socket(r.address().getAddress(), r.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[] {1, 2, 3});
                assertArrayEquals(new byte[] {1, 2, 3}, s.getInputStream().readNBytes(3), "the next connection echoes");
            }
            r.awaitNoConnections();
            assertEquals(0, (int) OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).chunks().lent()), "chunks still lent");
            assertEquals(1, r.loop.stats().failures());
        }
    }

    @Test
    void idleConnectionsHoldNoNativeMemory() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            List<SocketChannel> peers = new ArrayList<>();
            try {
                ByteBuffer msg = ByteBuffer.allocate(48);
                ByteBuffer back = ByteBuffer.allocate(48);
                for (int i = 0; i < CONNECTIONS; i++) {
                    SocketChannel ch = SocketChannel.open(r.address());
                    peers.add(ch);
                    msg.clear();
                    while (msg.hasRemaining()) ch.write(msg);
                    back.clear();
                    while (back.hasRemaining()) {
                        if (ch.read(back) < 0) throw new IOException("closed by the server");
                    }
                }
                int[] lent = OnLoop.call(r.loop, () -> new int[] {((UringEngine) r.loop.engine).chunks().lent(), (int) r.loop.stats().open()});
                report("idle: %d connections open, %d chunks lent", lent[1], lent[0]);
                assertEquals(CONNECTIONS, lent[1]);
                assertEquals(0, lent[0], "an idle connection holds no output or input chunk");
            } finally {
                for (SocketChannel ch : peers) ch.close();
            }
            r.awaitNoConnections();
            awaitTrimmed(r);
        }
    }

    @Test
    void pausedConnectionsHoldAtMostTheirLimitAndOneBuffer() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            // Small kernel buffers on both sides (accepted sockets inherit the listener's SO_SNDBUF):
            // the echo backs up into the loop's queue after a few KiB, not after megabytes.
            OnLoop.call(r.loop, () -> {
                Tcp.setIntOption(r.listener.fd(), SocketConsts.CURRENT.SOL_SOCKET(), SocketConsts.CURRENT.SO_SNDBUF(), 4096,
                        "setsockopt(SO_SNDBUF)");
                return null;
            });
            List<SocketChannel> peers = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    SocketChannel ch = SocketChannel.open();
                    peers.add(ch);
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                    ch.connect(r.address());
                    ch.configureBlocking(false);
                }
                writeWithoutReading(peers, 128 * 1024, Duration.ofSeconds(60));
                Await.until(Duration.ofSeconds(30), "every connection paused",
                        () -> OnLoop.call(r.loop, () -> paused(r)) == CONNECTIONS);
                int[] m = OnLoop.call(r.loop, () -> {
                    int most = 0;
                    for (Channel c : r.loop.registry.channels()) {
                        if (c instanceof Connection k) most = Math.max(most, ((RingStream) k.stream).chunks());
                    }
                    return new int[] {((UringEngine) r.loop.engine).chunks().lent(), most, paused(r)};
                });
                long perConnection = (long) m[0] * ChunkPool.CHUNK / CONNECTIONS;
                report("paused: %d connections, %d chunks lent (%d KiB per connection, at most %d chunks on one), "
                        + "queued %d KiB", m[2], m[0], perConnection / 1024, m[1], r.loop.stats().queuedBytes() / 1024);
                // The queue passes pauseReadingAbove by one delivery's echo (a provided buffer, 16 KiB) at
                // most: 32 KiB over at most three chunks; held input is the one single-shot receive in
                // flight when it paused: one more. Before the chunk pool each connection kept a malloc'd
                // queue of 16 KiB or more for life, and a multishot burst (~0.5 MiB) could be held.
                assertTrue(m[1] <= 4, "a paused connection holds " + m[1] + " chunks, bound 4");
                assertTrue(perConnection <= 4 * ChunkPool.CHUNK, perConnection + " B per paused connection");
            } finally {
                for (SocketChannel ch : peers) ch.close();
            }
            r.awaitNoConnections();
            assertEquals(0, (int) OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).chunks().lent()), "chunks still lent");
            awaitTrimmed(r);
        }
    }

    private static int paused(LoopRunner r) {
        int n = 0;
        for (Channel c : r.loop.registry.channels()) if (c instanceof Connection k && k.isReadPaused()) n++;
        return n;
    }

    /** Each peer writes up to {@code each} bytes and never reads, until all are done or none progresses for 300 ms. */
    private static void writeWithoutReading(List<SocketChannel> peers, long each, Duration max) throws Exception {
        long[] sent = new long[peers.size()];
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        long deadline = System.nanoTime() + max.toNanos();
        long idleSince = 0;
        while (System.nanoTime() < deadline) {
            boolean progress = false;
            for (int i = 0; i < peers.size(); i++) {
                if (sent[i] >= each) continue;
                buf.clear().limit((int) Math.min(buf.capacity(), each - sent[i]));
                int w = peers.get(i).write(buf);
                sent[i] += w;
                progress |= w > 0;
            }
            if (progress) {
                idleSince = 0;
            } else if (idleSince == 0) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > 300_000_000L) {
                return;
            } else {
                Thread.sleep(5); // every peer is blocked by the server's back-pressure: look again shortly
            }
        }
    }

    /** Extra slabs a burst mapped are unmapped by the once-a-second trim: only the first stays. */
    private static void awaitTrimmed(LoopRunner r) throws Exception {
        Await.until(Duration.ofSeconds(10), "chunk slabs past the first unmapped",
                () -> OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).chunks().mappedBytes()) <= ChunkPool.SLAB_BYTES);
    }

    private static void report(String format, Object... args) {
        System.out.println("[uring-memory] " + String.format(Locale.ROOT, format, args));
    }
}
