package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random sequences of write, writeReference (heap and native), deferFlush on and off, flush and
 * turn boundaries, against a peer that reads slowly through a small receive buffer, on a backend
 * and trigger drawn with each sequence (io_uring included): the peer gets exactly the
 * concatenation, in order, and every release runs exactly once, whether its bytes were sent or
 * the loop was stopped with them still queued (then the peer gets a prefix).
 */
class WriteQueuePropertyTest {
    sealed interface Step permits Copy, HeapRef, NativeRef, Defer, Flush, Turn {}
    record Copy(int n) implements Step {}
    record HeapRef(int n) implements Step {}
    record NativeRef(int n) implements Step {}
    record Defer(boolean on) implements Step {}
    record Flush() implements Step {}
    /** The steps after this one run in a later loop task (a later turn). */
    record Turn() implements Step {}

    @Provide
    Arbitrary<String> engines() {
        return Arbitraries.of(Backends.withEveryTrigger().stream().map(a -> a.get()[0] + "/" + a.get()[1]).toList());
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> small = Arbitraries.integers().between(1, 2_000);
        Arbitrary<Integer> large = Arbitraries.integers().between(2_000, 300_000);
        Arbitrary<Integer> size = Arbitraries.frequencyOf(Tuple.of(3, small), Tuple.of(1, large));
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(4, size.map(n -> (Step) new Copy(n))),
                Tuple.of(3, size.map(n -> (Step) new HeapRef(n))),
                Tuple.of(3, size.map(n -> (Step) new NativeRef(n))),
                Tuple.of(2, Arbitraries.of(true, false).map(b -> (Step) new Defer(b))),
                Tuple.of(1, Arbitraries.just((Step) new Flush())),
                Tuple.of(2, Arbitraries.just((Step) new Turn())));
        return step.list().ofMinSize(1).ofMaxSize(24);
    }

    @Property(tries = 40)
    void thePeerGetsTheConcatenationAndEachReleaseRunsOnce(@ForAll("engines") String engine,
                                                           @ForAll("steps") List<Step> steps,
                                                           @ForAll boolean stopWithOutputQueued) throws Exception {
        String[] e = engine.split("/");
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        int refs = (int) steps.stream().filter(s -> s instanceof HeapRef || s instanceof NativeRef).count();
        AtomicIntegerArray released = new AtomicIntegerArray(refs);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.parse(e[0])), Trigger.valueOf(e[1]),
                () -> new Handler() {
                    @Override
                    public void onOpen(Connection c) {
                        accepted.complete(c);
                    }

                    @Override
                    public void onData(Connection c, MemorySegment buf, int len) {}
                });
        try (Arena arena = Arena.ofShared(); SocketChannel ch = SocketChannel.open()) {
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 16 * 1024);
            ch.connect(r.address());
            Connection c = accepted.get(10, TimeUnit.SECONDS);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            Thread reader = Thread.ofPlatform().start(() -> slowRead(ch, got));
            // Build each step's bytes here, run them on the loop in tasks split at Turn.
            List<Runnable> task = new java.util.ArrayList<>();
            int ref = 0, seed = 0;
            for (Step s : steps) {
                switch (s) {
                    case Copy(int n) -> {
                        byte[] b = WriteReferenceTest.pattern(n, seed++);
                        want.write(b);
                        task.add(() -> check(c.write(b), "write"));
                    }
                    case HeapRef(int n) -> {
                        byte[] b = WriteReferenceTest.pattern(n, seed++);
                        want.write(b);
                        int k = ref++;
                        task.add(() -> check(c.writeReference(MemorySegment.ofArray(b), () -> released.incrementAndGet(k)), "heap reference"));
                    }
                    case NativeRef(int n) -> {
                        byte[] b = WriteReferenceTest.pattern(n, seed++);
                        want.write(b);
                        MemorySegment m = arena.allocate(n);
                        m.copyFrom(MemorySegment.ofArray(b));
                        int k = ref++;
                        task.add(() -> check(c.writeReference(m, () -> released.incrementAndGet(k)), "native reference"));
                    }
                    case Defer(boolean on) -> task.add(() -> c.deferFlush(on));
                    case Flush() -> task.add(() -> check(c.flush(), "flush"));
                    case Turn() -> {
                        List<Runnable> t = List.copyOf(task);
                        r.loop.execute(() -> t.forEach(Runnable::run));
                        task.clear();
                    }
                }
            }
            List<Runnable> last = List.copyOf(task);
            CompletableFuture<Void> done = new CompletableFuture<>();
            r.loop.execute(() -> {
                last.forEach(Runnable::run);
                done.complete(null);
            });
            done.get(10, TimeUnit.SECONDS);
            byte[] all = want.toByteArray();
            if (stopWithOutputQueued) {
                r.loop.stop();
                assertTrue(r.loop.awaitTermination(Duration.ofSeconds(10)));
                reader.join(20_000);
                byte[] prefix = got.toByteArray();
                assertTrue(prefix.length <= all.length, "more than was written: " + prefix.length);
                assertArrayEquals(Arrays.copyOf(all, prefix.length), prefix, "a prefix of what was written");
            } else {
                Await.until(Duration.ofSeconds(20), all.length + " bytes", () -> got.size() >= all.length);
                Await.until("every release ran", () -> sum(released) == refs);
                r.loop.stop();
                assertTrue(r.loop.awaitTermination(Duration.ofSeconds(10)));
                reader.join(20_000);
                assertArrayEquals(all, got.toByteArray());
            }
            for (int i = 0; i < refs; i++) assertEquals(1, released.get(i), "release " + i + " of " + steps);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        } finally {
            r.close();
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what + " refused on an open connection");
    }

    private static int sum(AtomicIntegerArray a) {
        int s = 0;
        for (int i = 0; i < a.length(); i++) s += a.get(i);
        return s;
    }

    /** Reads 8 KiB at a time, pausing now and then, until EOF or an error (the loop stopped). */
    private static void slowRead(SocketChannel ch, ByteArrayOutputStream got) {
        ByteBuffer b = ByteBuffer.allocate(8 * 1024);
        try {
            for (int i = 0; ; i++) {
                b.clear();
                int n = ch.read(b);
                if (n < 0) return;
                synchronized (got) {
                    got.write(b.array(), 0, n);
                }
                if (i % 8 == 0) Thread.sleep(1);
            }
        } catch (Exception e) {
            // reset by a stopped loop: what arrived before is what counts
        }
    }
}
