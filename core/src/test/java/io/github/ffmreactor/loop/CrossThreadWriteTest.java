package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.DataInputStream;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A connection's output belongs to its loop thread. Another thread's write used to race the loop
 * through the shared staging buffer and the queue counters and hand one client's bytes to another;
 * now it is refused with a clear error, and the way that works (a task on the loop) delivers every
 * byte to the right peer, while the loop serves another client with heap writes that use the same
 * staging buffer.
 */
@Timeout(60)
@ExtendWith(NoFdLeaks.class)
class CrossThreadWriteTest {
    static final int MSG = 48 << 10;

    static List<String> loops() {
        return Backends.loops();
    }

    /** Echoes through a heap copy, so every reply passes through the loop's staging buffer. */
    static final class HeapEcho implements Handler {
        final ConcurrentLinkedQueue<Connection> opened;

        HeapEcho(ConcurrentLinkedQueue<Connection> opened) {
            this.opened = opened;
        }

        @Override
        public void onOpen(Connection c) {
            opened.add(c);
        }

        @Override
        public void onData(Connection c, MemorySegment buf, int len) {
            c.write(buf.asSlice(0, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("loops")
    void offLoopWritesAreRefusedAndExecuteDeliversEachByteToItsOwnPeer(String backend) throws Exception {
        ConcurrentLinkedQueue<Connection> opened = new ConcurrentLinkedQueue<>();
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend));
        try (LoopRunner r = new LoopRunner(o, Trigger.LEVEL, () -> new HeapEcho(opened));
             Socket quiet = new Socket(r.address().getAddress(), r.address().getPort())) {
            Await.until("the quiet client's connection", () -> opened.size() == 1);
            Connection target = opened.peek();
            try (Socket busy = new Socket(r.address().getAddress(), r.address().getPort());
                 ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                Await.until("the busy client's connection", () -> opened.size() == 2);
                // The busy client echoes 'B' blocks for as long as the foreign writer runs.
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                Future<Integer> echoes = ex.submit(() -> {
                    byte[] b = new byte[MSG];
                    Arrays.fill(b, (byte) 'B');
                    byte[] back = new byte[MSG];
                    int n = 0;
                    DataInputStream in = new DataInputStream(busy.getInputStream());
                    while (System.nanoTime() < until) {
                        busy.getOutputStream().write(b);
                        in.readFully(back);
                        for (byte x : back) if (x != 'B') throw new AssertionError("the busy client got a byte " + x);
                        n++;
                    }
                    return n;
                });
                // Meanwhile another thread writes to the quiet client's connection every way there is.
                byte[] a = new byte[MSG];
                Arrays.fill(a, (byte) 'A');
                int refused = 0, handed = 0;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment seg = arena.allocate(MSG);
                    seg.fill((byte) 'A');
                    while (System.nanoTime() < until) {
                        IllegalStateException e = assertThrows(IllegalStateException.class, () -> target.write(a));
                        assertTrue(e.getMessage().contains("Connection.write") && e.getMessage().contains("execute"),
                                e.getMessage());
                        assertThrows(IllegalStateException.class, () -> target.write(seg));
                        assertThrows(IllegalStateException.class, () -> target.write(ByteBuffer.wrap(a)));
                        assertThrows(IllegalStateException.class, target::closeAfterFlush);
                        refused += 4;
                        if (handed < 40) {
                            byte[] own = a.clone(); // the task owns its bytes
                            r.loop.execute(() -> target.write(own));
                            handed++;
                        }
                    }
                }
                int rounds = echoes.get(30, TimeUnit.SECONDS);
                assertTrue(rounds > 0 && refused > 0, "both sides ran: " + rounds + " echoes, " + refused + " refusals");
                // The quiet client receives exactly the handed-over writes, every byte 'A'.
                quiet.setSoTimeout(20_000);
                InputStream in = quiet.getInputStream();
                byte[] got = new byte[handed * MSG];
                new DataInputStream(in).readFully(got);
                for (int i = 0; i < got.length; i++) if (got[i] != 'A') throw new AssertionError("byte " + i + " is " + got[i]);
                quiet.setSoTimeout(300);
                assertThrows(java.net.SocketTimeoutException.class, in::read, "nothing more reached the quiet client");
            }
            assertTrue(target.isOpen(), "a refused write leaves the connection as it was");
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    @Test
    void offLoopDatagramSendIsRefused() throws Exception {
        try (LoopRunner r = new LoopRunner(LoopOptions.defaults(), Trigger.LEVEL, () -> new HeapEcho(new ConcurrentLinkedQueue<>()));
             Arena arena = Arena.ofShared()) {
            InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            AtomicInteger got = new AtomicInteger();
            Datagram d = r.loop.openDatagram(lo, (dg, buf, len, from) -> got.incrementAndGet());
            Endpoint to = Endpoint.of(arena, d.localAddress());
            MemorySegment buf = arena.allocate(8);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.sendTo(buf, 0, 8, to));
            assertTrue(e.getMessage().contains("Datagram.sendTo"), e.getMessage());
            r.loop.execute(() -> d.sendTo(buf, 0, 8, to));
            Await.until("the datagram sent from the loop arrives", () -> got.get() == 1);
            d.close();
        }
    }
}
