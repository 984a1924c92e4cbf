package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.OnLoop;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A connection hands the kernel at most {@link OutQueue#QUANTUM} bytes per loop turn, however much
 * it has queued and however much the socket would take: a peer fetching a large value cannot hold
 * the loop in one turn while other connections wait. What is left goes out in the next turns
 * without a new readiness event (edge triggering gets none while the socket stays writable).
 */
@Timeout(60)
class WriteQuantumTest {
    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Arguments a : Backends.withEveryTrigger()) {
            for (String kind : List.of("native", "heap")) {
                for (boolean defer : List.of(false, true)) out.add(Arguments.of(a.get()[0], a.get()[1], kind, defer));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1} {2} defer={3}")
    @MethodSource("cases")
    void aLargeReferenceGoesOutAQuantumPerTurn(String backend, Trigger trigger, String kind, boolean defer) throws Exception {
        int size = 6 << 20;
        byte[] bytes = WriteReferenceTest.pattern(size, 7);
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        AtomicInteger released = new AtomicInteger();
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(16 << 20, 32 << 20);
        try (Arena arena = Arena.ofShared();
             LoopRunner r = new LoopRunner(o, trigger, () -> new Handler() {
                 @Override
                 public void onOpen(Connection c) {
                     accepted.complete(c);
                 }

                 @Override
                 public void onData(Connection c, MemorySegment buf, int len) {}
             });
             SocketChannel ch = SocketChannel.open(r.address())) {
            MemorySegment value = kind.equals("heap") ? MemorySegment.ofArray(bytes) : arena.allocate(size).copyFrom(MemorySegment.ofArray(bytes));
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            LoopStats before = r.loop.stats();
            OnLoop.call(r.loop, () -> {
                c.deferFlush(defer);
                return c.writeReference(value, released::incrementAndGet);
            });
            // The peer does not read: the kernel takes what its buffers hold (megabytes on loopback), then no more.
            Await.until("the kernel takes no more", () -> sameFor(r, 100));
            LoopStats after = r.loop.stats();
            long sent = after.bytesOut() - before.bytesOut(), turns = after.waits() - before.waits();
            assertTrue(sent > 2 * OutQueue.QUANTUM, "the socket took more than two quanta, so the bound was tested: " + sent);
            assertTrue(sent <= OutQueue.QUANTUM * (turns + 1), sent + " bytes in " + turns + " turns: over "
                    + OutQueue.QUANTUM + " a turn");
            // The rest still comes, in order, as the peer reads; the reference is released once.
            assertArrayEquals(bytes, DeferredFlushTest.readExactly(ch, size));
            Await.until("released", () -> released.get() == 1);
            assertEquals(0L, (long) OnLoop.call(r.loop, c::pendingOutput));
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    static List<Arguments> engines() {
        return Backends.withEveryTrigger();
    }

    /**
     * A peer that stops reading: the server's queue passes pauseReadingAbove and reading from the
     * peer pauses; the peer's next request arrives meanwhile (under edge triggering its event is
     * spent). Then the peer reads: the queue goes out a quantum per turn, mostly from the flushes
     * before the waits, and the last of them resumes reading. That read must come before the loop
     * sleeps: once the queue is empty no event (no EAGAIN, so no writability edge) would wake it.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    @Timeout(20)
    void aReadResumedByTheFlushBeforeTheWaitIsNotLeftWaiting(String backend, Trigger trigger) throws Exception {
        // Reading pauses at the first queued byte and resumes when the queue is empty: so the flush
        // that resumes it is the last, and no EAGAIN after it arms a writability event.
        int reply = 6 << 20;
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(1, 64 << 20);
        try (Arena arena = Arena.ofShared();
             LoopRunner r = new LoopRunner(o, trigger, () -> new Handler() {
                 final MemorySegment big = arena.allocate(reply).fill((byte) 'x');

                 @Override
                 public void onOpen(Connection c) {
                     c.deferFlush(true);
                 }

                 @Override
                 public void onData(Connection c, MemorySegment buf, int len) {
                     for (int i = 0; i < len; i++) {
                         if (buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) == 'a') c.write(big, 0, reply);
                         else c.write(new byte[] {'!'});
                     }
                 }
             });
             SocketChannel ch = SocketChannel.open(r.address())) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'a'}));
            Await.until("the reply fills the socket and reading pauses", () -> {
                LoopStats s = r.loop.stats();
                return s.queuedBytes() > 2 * OutQueue.QUANTUM && s.bytesOut() > 2 * OutQueue.QUANTUM && sameFor(r, 100);
            });
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'b'}));
            // Nothing on the loop's side shows it (a paused connection is not read): give it time to
            // arrive, and (edge) its event to be spent.
            Thread.sleep(50);
            byte[] got = DeferredFlushTest.readExactly(ch, reply + 1);
            assertEquals('x', got[reply - 1]);
            assertEquals('!', got[reply], "the request sent while reading was paused is answered");
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** Whether the loop's bytes out stay the same for {@code millis}: the kernel takes no more. */
    private static boolean sameFor(LoopRunner r, long millis) throws InterruptedException {
        long before = r.loop.stats().bytesOut();
        Thread.sleep(millis);
        return r.loop.stats().bytesOut() == before;
    }
}
