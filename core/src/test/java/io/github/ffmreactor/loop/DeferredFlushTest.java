package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.OnLoop;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connection.deferFlush: many writes in one onData cost one write(2) or writev(2) (references
 * included), an onDrained that answers a flush with more writes is neither lost nor left waiting
 * for an event that will not come, and flush() writes before the turn ends. On every backend and
 * trigger (oneshot too); on io_uring the setting changes nothing, and one SEND carries it all.
 */
@Timeout(60)
class DeferredFlushTest {
    static List<Arguments> engines() {
        return Backends.withEveryTrigger();
    }

    private static LoopRunner serve(String backend, Trigger trigger, Handler h) throws Exception {
        return new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(backend)), trigger, () -> h);
    }

    static byte[] readExactly(SocketChannel ch, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new AssertionError("EOF after " + b.position() + " of " + n + " bytes");
        }
        return b.array();
    }

    /** Ten writes, a native and a heap reference, ten more writes: one syscall when deferred. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void manyWritesInOneOnDataAreOneSyscall(String backend, Trigger trigger) throws Exception {
        AtomicInteger released = new AtomicInteger();
        boolean[] defer = {true};
        try (Arena arena = Arena.ofShared()) {
            MemorySegment nat = arena.allocateFrom("<native>");
            byte[] heap = "<heap>".getBytes(StandardCharsets.US_ASCII);
            Handler h = new Handler() {
                @Override
                public void onOpen(Connection c) {
                    c.deferFlush(defer[0]);
                    assertEquals(defer[0], c.isFlushDeferred());
                }

                @Override
                public void onData(Connection c, MemorySegment buf, int len) {
                    for (int i = 0; i < 10; i++) c.write(buf, 0, len);
                    c.writeReference(nat.asSlice(0, 8), released::incrementAndGet);
                    c.writeReference(MemorySegment.ofArray(heap), released::incrementAndGet);
                    for (int i = 0; i < 10; i++) c.write(buf, 0, len);
                }
            };
            String want = "x".repeat(10) + "<native><heap>" + "x".repeat(10);
            try (LoopRunner r = serve(backend, trigger, h)) {
                for (boolean d : new boolean[] {true, false}) {
                    defer[0] = d;
                    try (SocketChannel ch = SocketChannel.open(r.address())) {
                        Await.until("accepted", () -> r.loop.stats().open() == 1);
                        long w0 = OnLoop.call(r.loop, () -> r.loop.stats().writes());
                        ch.write(ByteBuffer.wrap(new byte[] {'x'}));
                        assertEquals(want, new String(readExactly(ch, want.length()), StandardCharsets.US_ASCII));
                        // io_uring counts a SEND when its completion is reaped, maybe after the peer read it.
                        long expected = d || backend.equals("io_uring") ? 1 : 22;
                        Await.until("the writes are counted", () -> r.loop.stats().writes() - w0 >= expected);
                        long writes = OnLoop.call(r.loop, () -> r.loop.stats().writes()) - w0;
                        assertEquals(expected, writes, d ? "deferred: one syscall for 22 writes"
                                : backend.equals("io_uring") ? "io_uring: one SEND" : "immediate: a write(2) per write");
                    }
                    r.awaitNoConnections();
                }
                Await.until("every release ran", () -> released.get() == 4);
                assertTrue(r.errors.isEmpty(), r.errors.toString());
            }
        }
    }

    /** A handler that answers each flush's onDrained with another write: every one goes out, none waits for input. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void anOnDrainedThatWritesMoreIsNotLost(String backend, Trigger trigger) throws Exception {
        int n = 200;
        Handler h = new Handler() {
            int sent;

            @Override
            public void onOpen(Connection c) {
                c.deferFlush(true);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                c.write(new byte[] {(byte) sent++});
            }

            @Override
            public void onDrained(Connection c) {
                if (sent > 0 && sent < n) c.write(new byte[] {(byte) sent++});
            }
        };
        try (LoopRunner r = serve(backend, trigger, h); SocketChannel ch = SocketChannel.open(r.address())) {
            ch.write(ByteBuffer.wrap(new byte[] {'x'}));
            byte[] got = readExactly(ch, n);
            for (int i = 0; i < n; i++) assertEquals((byte) i, got[i]);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** flush() sends what a deferred connection queued before the turn ends; turning deferral off sends the rest. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void flushWritesNow(String backend, Trigger trigger) throws Exception {
        CompletableFuture<long[]> seen = new CompletableFuture<>();
        boolean uring = backend.equals("io_uring");
        Handler h = new Handler() {
            @Override
            public void onOpen(Connection c) {
                c.deferFlush(true);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                long w0 = c.loop.stats().writes();
                c.write("one,".getBytes(StandardCharsets.US_ASCII));
                long queued = c.pendingOutput();
                assertTrue(c.flush());
                long afterFlush = c.pendingOutput();
                long writes = c.loop.stats().writes() - w0;
                c.write("two,".getBytes(StandardCharsets.US_ASCII));
                c.deferFlush(false);
                assertFalse(c.isFlushDeferred());
                seen.complete(new long[] {queued, afterFlush, writes, c.pendingOutput()});
                c.write("three".getBytes(StandardCharsets.US_ASCII));
            }
        };
        try (LoopRunner r = serve(backend, trigger, h); SocketChannel ch = SocketChannel.open(r.address())) {
            ch.write(ByteBuffer.wrap(new byte[] {'x'}));
            assertEquals("one,two,three", new String(readExactly(ch, 13), StandardCharsets.US_ASCII));
            long[] s = seen.get(10, TimeUnit.SECONDS);
            assertEquals(4, s[0], "queued, not written, while deferred");
            // io_uring: the SEND goes with the turn's wait whatever flush() says.
            assertEquals(uring ? 4 : 0, s[1], "flush() wrote it");
            assertEquals(uring ? 0 : 1, s[2], "one write(2)");
            assertEquals(uring ? 8 : 0, s[3], "deferFlush(false) wrote the rest");
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** Replies from timers and tasks on a deferred connection go out too (listed, written before the wait). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void writesFromTasksAndTimersGoOut(String backend, Trigger trigger) throws Exception {
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        Handler h = new Handler() {
            @Override
            public void onOpen(Connection c) {
                c.deferFlush(true);
                accepted.complete(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {}
        };
        try (LoopRunner r = serve(backend, trigger, h); SocketChannel ch = SocketChannel.open(r.address())) {
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            for (int i = 0; i < 20; i++) {
                byte[] b = ("task " + i + ";").getBytes(StandardCharsets.US_ASCII);
                want.write(b);
                r.loop.execute(() -> c.write(b));
            }
            byte[] t = "timer".getBytes(StandardCharsets.US_ASCII);
            want.write(t);
            r.loop.schedule(20, TimeUnit.MILLISECONDS, () -> c.write(t));
            assertArrayEquals(want.toByteArray(), readExactly(ch, want.size()));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }
}
