package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.OnLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.FdCount;
import io.github.ffmreactor.testutil.LoopRunner;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** write(byte[]), write(ByteBuffer) and heap segments, on the direct path and once output is queued. */
@Timeout(60)
class ConnectionWriteTest {
    private final CompletableFuture<Connection> accepted = new CompletableFuture<>();

    private LoopRunner serve() throws Exception {
        return new LoopRunner(LoopOptions.defaults(), Trigger.LEVEL, () -> new Handler() {
            @Override
            public void onOpen(Connection c) {
                accepted.complete(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {}
        });
    }

    private static byte[] readExactly(SocketChannel ch, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new AssertionError("EOF after " + b.position() + " of " + n + " bytes");
        }
        return b.array();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed + (i >>> 11));
        return b;
    }

    @Test
    void heapSegmentOnTheDirectPath() throws Exception {
        int before = FdCount.now();
        try (LoopRunner r = serve(); SocketChannel ch = SocketChannel.open(r.address())) {
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            byte[] hello = "hello, heap".getBytes(StandardCharsets.US_ASCII);
            // Issue 8: this threw "not a native segment" when nothing was queued.
            assertTrue(OnLoop.call(r.loop, () -> c.write(MemorySegment.ofArray(hello), 7, 4)));
            assertEquals(0L, (long) OnLoop.call(r.loop, c::pendingOutput));
            assertEquals("heap", new String(readExactly(ch, 4), StandardCharsets.US_ASCII));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void everyKindOfSourceArrivesInOrder() throws Exception {
        try (LoopRunner r = serve(); SocketChannel ch = SocketChannel.open(r.address())) {
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            byte[] a = "0123456789".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer heap = ByteBuffer.wrap("..heap..".getBytes(StandardCharsets.US_ASCII), 2, 4);
            ByteBuffer direct = ByteBuffer.allocateDirect(16).put("direct".getBytes(StandardCharsets.US_ASCII)).flip();
            ByteBuffer readOnly = ByteBuffer.wrap("ro".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
            assertTrue(OnLoop.call(r.loop, () -> c.write(a, 3, 4) && c.write(a, 0, 0) && c.write(heap)
                    && c.write(direct) && c.write(readOnly) && c.write(new byte[] {'!'})));
            assertEquals(6, heap.position(), "a heap buffer's position moves to its limit");
            assertEquals(6, direct.position());
            assertEquals(2, readOnly.position());
            assertEquals("3456heapdirectro!", new String(readExactly(ch, 17), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void heapBytesQueueBehindEarlierOutputAndNoneIsLost() throws Exception {
        try (LoopRunner r = serve(); SocketChannel ch = SocketChannel.open()) {
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
            ch.connect(r.address());
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            // More than the kernel takes while the client does not read, and many stage-sized chunks.
            byte[] big = pattern(8 << 20, 1);
            byte[] tail = pattern(100_000, 2);
            ByteBuffer direct = ByteBuffer.allocateDirect(70_000).put(pattern(70_000, 3)).flip();
            long queued = OnLoop.call(r.loop, () -> {
                assertTrue(c.write(big));
                return c.pendingOutput();
            });
            assertTrue(queued > 0 && queued < big.length, "part written, part queued: " + queued);
            // Now output is queued: a heap segment, a byte[] and a direct buffer join the queue.
            assertTrue(OnLoop.call(r.loop, () -> c.write(MemorySegment.ofArray(tail), 0, 50_000)
                    && c.write(tail, 50_000, 50_000) && c.write(direct)));
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            want.write(big);
            want.write(tail);
            want.write(pattern(70_000, 3));
            assertArrayEquals(want.toByteArray(), readExactly(ch, want.size()));
            assertEquals(0L, (long) OnLoop.call(r.loop, c::pendingOutput));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    @Test
    void aClosedConnectionRefusesAndBadBoundsThrow() throws Exception {
        try (LoopRunner r = serve(); SocketChannel ignored = SocketChannel.open(r.address())) {
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            assertThrows(IndexOutOfBoundsException.class, () -> onLoopUnwrapped(r.loop, () -> c.write(new byte[4], 2, 3)));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> onLoopUnwrapped(r.loop, () -> c.write(MemorySegment.ofArray(new byte[4]), 3, 2)));
            ByteBuffer b = ByteBuffer.wrap(new byte[] {1, 2, 3});
            assertFalse(OnLoop.call(r.loop, () -> {
                c.close();
                return c.write(new byte[] {1}) || c.write(b) || c.write(ByteBuffer.allocateDirect(1))
                        || c.write(MemorySegment.ofArray(new byte[1]));
            }));
            assertEquals(0, b.position(), "a refused buffer keeps its position");
        }
    }

    private static <T> T onLoopUnwrapped(EventLoop loop, Callable<T> call) throws Throwable {
        try {
            return OnLoop.call(loop, call);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause();
        }
    }
}
