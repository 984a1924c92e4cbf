package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.LoopRunner;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hot path allocates nothing: the loop thread's allocated-bytes counter is read around 100k
 * echo round trips (after a warm-up, so the JIT has compiled the path), on every backend, and
 * through both framing handlers with replies written from a view and from a byte[].
 */
@Timeout(120)
class ZeroAllocationTest {
    static List<org.junit.jupiter.params.provider.Arguments> backends() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    private static long loopThreadAllocated(EventLoop loop) throws Exception {
        CompletableFuture<Long> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes()));
        return f.get(10, TimeUnit.SECONDS);
    }

    interface Work extends io.github.ffmreactor.testutil.AllocationSites.Work {}

    private static void roundTrips(SocketChannel ch, ByteBuffer buf, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            buf.clear();
            buf.putLong(0, i);
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new AssertionError("server closed");
            }
            assertEquals(i, buf.getLong(0));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void noAllocationPerRoundTrip(String backend, Trigger trigger) throws Exception {
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), trigger, () -> EchoServer.ECHO);
             SocketChannel ch = connect(r)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            roundTrips(ch, buf, 50_000); // warm-up: JIT compiles the loop's path
            assertNoAllocation(backend + " " + trigger, r.loop, 100_000, () -> roundTrips(ch, buf, 100_000));
        }
    }

    /** An echo whose connections defer their flush: the reply is queued, then written before the wait. */
    static final Handler DEFERRED_ECHO = new Handler() {
        @Override
        public void onOpen(Connection c) {
            c.deferFlush(true);
        }

        @Override
        public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {
            c.write(buf, 0, len);
        }
    };

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyTrigger")
    void noAllocationPerRoundTripWithDeferredFlush(String backend, Trigger trigger) throws Exception {
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), trigger, () -> DEFERRED_ECHO);
             SocketChannel ch = connect(r)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            roundTrips(ch, buf, 50_000);
            assertNoAllocation(backend + " " + trigger + " deferred", r.loop, 100_000, () -> roundTrips(ch, buf, 100_000));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    static List<org.junit.jupiter.params.provider.Arguments> everyTrigger() {
        return io.github.ffmreactor.testutil.Backends.withEveryTrigger();
    }

    /**
     * 64 connections written to before any is read back, so a turn carries dozens of events: the
     * shape that once made a backend's wait allocate (its caller grew past C2's inlining budget).
     * poll and select walk every registered fd per wait, so this is their hot path at its largest.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void noAllocationPerRoundTripAt64Connections(String backend, Trigger trigger) throws Exception {
        int conns = 64;
        SocketChannel[] chs = new SocketChannel[conns];
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), trigger, () -> EchoServer.ECHO)) {
            try {
                for (int i = 0; i < conns; i++) {
                    chs[i] = SocketChannel.open(new InetSocketAddress(r.address().getAddress(), r.address().getPort()));
                    chs[i].socket().setTcpNoDelay(true);
                }
                ByteBuffer buf = ByteBuffer.allocateDirect(64);
                int rounds = 1_500; // x 64 = 96k round trips per window
                fanOut(chs, buf, rounds); // warm-up
                assertNoAllocation(backend + " " + trigger + " x" + conns, r.loop, rounds * conns, () -> fanOut(chs, buf, rounds));
            } finally {
                for (SocketChannel ch : chs) if (ch != null) ch.close();
            }
        }
    }

    /** Each round writes 8 bytes to every connection, then reads every echo back. */
    private static void fanOut(SocketChannel[] chs, ByteBuffer buf, int rounds) throws Exception {
        for (int i = 0; i < rounds; i++) {
            for (SocketChannel ch : chs) {
                buf.clear().limit(8);
                buf.putLong(0, i);
                while (buf.hasRemaining()) ch.write(buf);
            }
            for (SocketChannel ch : chs) {
                buf.clear().limit(8);
                while (buf.hasRemaining()) {
                    if (ch.read(buf) < 0) throw new AssertionError("server closed");
                }
                assertEquals(i, buf.getLong(0));
            }
        }
    }

    /** A line echoed back: the line as a view of the read buffer, then a byte[] newline (staged). */
    private static final byte[] NEWLINE = {'\n'};

    /**
     * The framing path: whole frames as views, replies through write(segment) and write(byte[]).
     * The client sends one 16-byte frame at a time, so each arrives whole in one read.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"lines", "length-prefixed"})
    void noAllocationPerFramedMessage(String framing) throws Exception {
        FrameHandler lineEcho = (c, buf, off, len, last) -> {
            c.write(buf, off, len);
            c.write(NEWLINE);
        };
        java.util.function.Supplier<Handler> handlers = framing.equals("lines")
                ? () -> LineHandler.of(1024, LineHandler.Overlong.ERROR, lineEcho)
                : () -> {
                    byte[] header = new byte[2]; // per connection: a reply's length field
                    return LengthPrefixedHandler.of(2, 1024, (c, buf, off, len, last) -> {
                        header[0] = (byte) (len >>> 8);
                        header[1] = (byte) len;
                        c.write(header, 0, 2);
                        c.write(buf, off, len);
                    });
                };
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults(), Trigger.LEVEL, handlers); SocketChannel ch = connect(r)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(16);
            boolean lines = framing.equals("lines");
            framedRoundTrips(ch, buf, 50_000, lines); // warm-up
            assertNoAllocation(framing, r.loop, 100_000, () -> framedRoundTrips(ch, buf, 100_000, lines));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    private static void framedRoundTrips(SocketChannel ch, ByteBuffer buf, int n, boolean lines) throws Exception {
        for (int i = 0; i < n; i++) {
            buf.clear();
            if (lines) {
                buf.putLong(0, 0x3030303030303030L + (i & 0x0f0f0f0f0f0f0f0fL)).putLong(8, 0x616263646566670aL); // "....abcdefg\n"
            } else {
                buf.putShort(0, (short) 14).putLong(2, i).putInt(10, 0x61626364).putShort(14, (short) 0x6566);
            }
            long first = buf.getLong(0), second = buf.getLong(8);
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new AssertionError("server closed");
            }
            assertEquals(first, buf.getLong(0));
            assertEquals(second, buf.getLong(8));
        }
    }

    private static SocketChannel connect(LoopRunner r) throws Exception {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress(r.address().getAddress(), r.address().getPort()));
        ch.socket().setTcpNoDelay(true);
        return ch;
    }

    /**
     * UDP echo through recvmmsg/sendmmsg batches (Linux) and through recvfrom/sendto: 16 datagrams
     * sent before any is read back, so batches of several datagrams form, each echoed with
     * sendTo queued into the send batch.
     */
    @ParameterizedTest(name = "mmsg={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void noAllocationPerDatagram(boolean mmsg) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(!mmsg || io.github.ffmreactor.sys.Mmsg.available(), "recvmmsg: Linux");
        Datagram.useMmsg = mmsg;
        try (EventLoop loop = EventLoop.open();
             java.nio.channels.DatagramChannel client = java.nio.channels.DatagramChannel.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0),
                    DatagramOptions.defaults().withReceiveBuffer(1 << 20),
                    io.github.ffmreactor.cli.UdpEchoServer.ECHO);
            assertEquals(mmsg, ch.batched());
            loop.start("udp-alloc");
            client.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            client.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            client.connect(ch.localAddress());
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            int rounds = 4_000; // x 16 datagrams
            datagramRounds(client, buf, rounds); // warm-up
            assertNoAllocation("udp mmsg=" + mmsg, loop, rounds * 16, () -> datagramRounds(client, buf, rounds));
        } finally {
            Datagram.useMmsg = io.github.ffmreactor.sys.Mmsg.available();
        }
    }

    /** Each round sends 16 datagrams of 64 bytes, then reads the 16 echoes. */
    private static void datagramRounds(java.nio.channels.DatagramChannel c, ByteBuffer buf, int rounds) throws Exception {
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 16; k++) {
                buf.clear();
                buf.putInt(0, k);
                c.write(buf);
            }
            for (int k = 0; k < 16; k++) {
                buf.clear();
                c.read(buf);
            }
        }
    }

    private static void assertNoAllocation(String what, EventLoop loop, int n, Work window) throws Exception {
        // Windows until one is clean, at least three and for at most 40 s; the best one counts. A
        // tier change of the JIT (deoptimisation, recompilation) can allocate a few KB once, and
        // code not yet compiled by C2 allocates where C2 would not (an errno-capturing call's
        // adapter: 40 B a call, native-notes/ffm.md). On a loaded machine C2's queue can run late
        // past the warm-up, which made the UDP and poll cases fail one run in a few. An allocation
        // per round trip (at least 16 bytes an object) shows in every window as >= 16 B x n.
        long allocated = Long.MAX_VALUE;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(40);
        for (int w = 0; allocated >= 4096 && (w < 3 || System.nanoTime() < deadline); w++) {
            long before = loopThreadAllocated(loop);
            window.run();
            // The measuring tasks themselves allocate a little (a lambda, a boxed Long, queue nodes).
            long a = loopThreadAllocated(loop) - before;
            if (a >= 4096) System.out.printf("%s: window %d allocated %d bytes%n", what, w + 1, a);
            allocated = Math.min(allocated, a);
        }
        if (allocated >= 4096) {
            // Say where: one more window under JFR's allocation sampling, top sites on the loop thread.
            System.out.println(io.github.ffmreactor.testutil.AllocationSites.on(loop, window::run));
        }
        System.out.printf("%s: %d bytes allocated on the loop thread over %d round trips (%.4f B/rt)%n",
                what, allocated, n, allocated / (double) n);
        assertTrue(allocated < 4096, what + ": allocated " + allocated + " bytes over " + n + " round trips (sites printed above)");
    }
}
