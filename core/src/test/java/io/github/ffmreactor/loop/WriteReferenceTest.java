package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.FdCount;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.OnLoop;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connection.writeReference: bytes sent in place (native) or staged a part at a time (heap),
 * counted as pending output, released exactly once whether sent, refused, or dropped when the
 * connection closes (a non-reader over closeAbove, a failed writev, a loop stopped).
 */
@Timeout(60)
class WriteReferenceTest {
    static List<Arguments> engines() {
        return Backends.withEveryTrigger();
    }

    static List<Arguments> readiness() {
        return Backends.withEveryTrigger().stream().filter(a -> !a.get()[0].equals("io_uring")).toList();
    }

    @AfterEach
    void clearFaults() {
        if (Faults.ENABLED) Faults.clear();
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed + (i >>> 9));
        return b;
    }

    private static LoopRunner serve(LoopOptions o, String backend, Trigger trigger, CompletableFuture<Connection> accepted,
                                    CompletableFuture<Throwable> closed) throws Exception {
        return new LoopRunner(o.withBackend(Backend.parse(backend)), trigger, () -> new Handler() {
            @Override
            public void onOpen(Connection c) {
                accepted.complete(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {}

            @Override
            public void onClose(Connection c, Throwable cause) {
                closed.complete(cause);
            }
        });
    }

    /** Large references to a slow reader: everything arrives in order, pendingOutput counts them, each release once. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void largeReferencesArriveWholeAndAreReleasedOnce(String backend, Trigger trigger) throws Exception {
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        AtomicIntegerArray released = new AtomicIntegerArray(3);
        byte[] heap = pattern(3 << 20, 1);
        try (Arena arena = Arena.ofShared();
             LoopRunner r = serve(LoopOptions.defaults(), backend, trigger, accepted, new CompletableFuture<>());
             SocketChannel ch = SocketChannel.open()) {
            MemorySegment nat = arena.allocate(2 << 20);
            nat.copyFrom(MemorySegment.ofArray(pattern(2 << 20, 2)));
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 16 * 1024);
            ch.connect(r.address());
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            long pending = OnLoop.call(r.loop, () -> {
                assertTrue(c.writeReference(MemorySegment.ofArray(heap), () -> released.incrementAndGet(0)));
                assertTrue(c.write(new byte[] {'|'}));
                assertTrue(c.writeReference(nat, () -> released.incrementAndGet(1)));
                assertTrue(c.writeReference(MemorySegment.ofArray(heap).asSlice(5, 10), () -> released.incrementAndGet(2)));
                return c.pendingOutput();
            });
            long total = heap.length + 1 + nat.byteSize() + 10;
            assertTrue(pending > total - (4 << 20) && pending <= total, "references count as pending output: " + pending);
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            want.write(heap);
            want.write('|');
            want.write(pattern(2 << 20, 2));
            want.write(heap, 5, 10);
            assertArrayEquals(want.toByteArray(), DeferredFlushTest.readExactly(ch, want.size()));
            Await.until("released", () -> released.get(0) + released.get(1) + released.get(2) == 3);
            Thread.sleep(20);
            for (int i = 0; i < 3; i++) assertEquals(1, released.get(i), "release " + i + " ran once");
            assertEquals(0L, (long) OnLoop.call(r.loop, c::pendingOutput));
            assertEquals(0L, r.loop.stats().queuedBytes());
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** A peer that never reads: references pile up past closeAbove, the connection is closed, every release runs once. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void aNonReaderOverCloseAboveIsClosedAndItsReferencesReleased(String backend, Trigger trigger) throws Exception {
        int before = FdCount.now();
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        LoopOptions o = LoopOptions.defaults().withLimits(64 * 1024, 1 << 20);
        AtomicInteger released = new AtomicInteger();
        byte[] heap = pattern(200_000, 3);
        try (Arena arena = Arena.ofShared(); LoopRunner r = serve(o, backend, trigger, accepted, closed);
             SocketChannel ch = SocketChannel.open()) {
            MemorySegment nat = arena.allocate(200_000);
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 8 * 1024);
            ch.connect(r.address());
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            int written = 0;
            // Turn by turn, so that io_uring's SENDs have gone to the kernel and its buffers are full.
            for (int i = 0; i < 200 && !closed.isDone(); i++) {
                int k = i;
                boolean ok = OnLoop.call(r.loop, () -> c.writeReference(k % 2 == 0 ? MemorySegment.ofArray(heap) : nat,
                        released::incrementAndGet));
                written++;
                if (!ok) break;
            }
            Throwable cause = closed.get(10, TimeUnit.SECONDS);
            assertNotNull(cause);
            assertTrue(cause.getMessage().contains("over the limit"), cause.toString());
            int n = written;
            Await.until("every release ran", () -> released.get() == n);
            Thread.sleep(20);
            assertEquals(n, released.get(), "each once, the refused one included");
            assertFalse(OnLoop.call(r.loop, () -> c.writeReference(nat, released::incrementAndGet)), "closed");
            assertEquals(n + 1, released.get(), "a refused reference is released at once");
            assertEquals(0L, r.loop.stats().queuedBytes());
        }
        FdCount.assertBackTo(before);
    }

    /** The gathered write fails (fault seam: writev ENOMEM): the connection is closed, reported, its references released. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("readiness")
    void aFailedWritevClosesAndReleases(String backend, Trigger trigger) throws Exception {
        assumeTrue(Faults.ENABLED && io.github.ffmreactor.net.SocketIo.GATHERS);
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        AtomicInteger released = new AtomicInteger();
        try (Arena arena = Arena.ofShared(); LoopRunner r = serve(LoopOptions.defaults(), backend, trigger, accepted, closed);
             SocketChannel ignored = SocketChannel.open(r.address())) {
            MemorySegment nat = arena.allocate(100);
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            OnLoop.call(r.loop, () -> {
                Faults.fail(Faults.Call.WRITEV, c.fd, 0, Errno.ENOMEM, 1);
                c.deferFlush(true);
                c.write(new byte[] {'a'});
                c.writeReference(nat, released::incrementAndGet);
                return c.writeReference(MemorySegment.ofArray(new byte[50]), released::incrementAndGet);
            });
            Throwable cause = closed.get(10, TimeUnit.SECONDS);
            assertNotNull(cause);
            assertTrue(cause.getMessage().startsWith("writev: ENOMEM"), cause.getMessage());
            assertEquals(1, Faults.fired(Faults.Call.WRITEV));
            Await.until("released", () -> released.get() == 2);
            assertEquals(1, r.loop.stats().failures(), "an unexpected errno is a failure");
            assertEquals(0L, r.loop.stats().queuedBytes());
        }
    }

    /** A short writev (fault seam: two bytes of the first piece): the rest follows, in order. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("readiness")
    void aShortWritevGoesOnWhereItStopped(String backend, Trigger trigger) throws Exception {
        assumeTrue(Faults.ENABLED && io.github.ffmreactor.net.SocketIo.GATHERS);
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        AtomicInteger released = new AtomicInteger();
        try (Arena arena = Arena.ofShared();
             LoopRunner r = serve(LoopOptions.defaults(), backend, trigger, accepted, new CompletableFuture<>());
             SocketChannel ch = SocketChannel.open(r.address())) {
            MemorySegment nat = arena.allocateFrom("native");
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            OnLoop.call(r.loop, () -> {
                Faults.limit(Faults.Call.WRITEV, c.fd, 0, 2, 1);
                c.deferFlush(true);
                c.write("copy".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                c.writeReference(nat.asSlice(0, 6), released::incrementAndGet);
                return c.writeReference(MemorySegment.ofArray("heap".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                        released::incrementAndGet);
            });
            assertEquals("copynativeheap", new String(DeferredFlushTest.readExactly(ch, 14), java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(1, Faults.fired(Faults.Call.WRITEV));
            Await.until("released", () -> released.get() == 2);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** References queued to a non-reader when the loop stops are released, once each, on the loop thread. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void aStoppedLoopReleasesWhatIsQueued(String backend, Trigger trigger) throws Exception {
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        AtomicInteger released = new AtomicInteger();
        AtomicInteger offLoop = new AtomicInteger();
        byte[] heap = pattern(4 << 20, 4);
        LoopRunner r = serve(LoopOptions.defaults(), backend, trigger, accepted, new CompletableFuture<>());
        try (SocketChannel ignored = SocketChannel.open(r.address())) {
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                assertTrue(OnLoop.call(r.loop, () -> c.writeReference(MemorySegment.ofArray(heap), () -> {
                    if (!r.loop.inLoop()) offLoop.incrementAndGet();
                    released.incrementAndGet();
                })));
            }
            r.loop.stop();
            assertTrue(r.loop.awaitTermination(Duration.ofSeconds(10)));
            assertEquals(3, released.get());
            assertEquals(0, offLoop.get(), "released on the loop thread");
        } finally {
            r.close();
        }
    }
}
