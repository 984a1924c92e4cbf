package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A loop driven by an embedder's own thread through runOnce/doWork, and its counters read from elsewhere. */
@Timeout(60)
@ExtendWith(NoFdLeaks.class)
class EmbeddedLoopTest {
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(20);

    /** Timers fire, tasks from another thread run, connections are served: all from runOnce on this thread. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.ffmreactor.testutil.Backends#names")
    void runOnceServesEventsTimersAndTasks(String backend) throws Exception {
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(backend))) {
            Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.LEVEL,
                    () -> EchoServer.ECHO);
            AtomicInteger fired = new AtomicInteger();
            loop.schedule(10, TimeUnit.MILLISECONDS, fired::incrementAndGet);
            AtomicBoolean taskRan = new AtomicBoolean();
            AtomicReference<String> echoed = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                loop.execute(() -> taskRan.set(loop.inLoop()));
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), l.port())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("hello".getBytes());
                    echoed.set(new String(s.getInputStream().readNBytes(5)));
                } catch (Exception e) {
                    echoed.set(e.toString());
                }
            });
            long t0 = System.nanoTime();
            int work = 0;
            while ((fired.get() == 0 || !taskRan.get() || echoed.get() == null) && System.nanoTime() - t0 < BOUND_NANOS) {
                int w = loop.runOnce(50, TimeUnit.MILLISECONDS);
                assertTrue(w >= 0, "loop terminated: " + loop.terminationCause());
                work += w;
            }
            other.join(10_000);
            assertEquals(1, fired.get());
            assertTrue(taskRan.get(), "the task ran on the embedder's thread, which is the loop's");
            assertEquals("hello", echoed.get());
            assertTrue(work >= 3, "work counted: " + work);
            assertTrue(loop.inLoop());
            assertTrue(loop.stats().reads() > 0);
        }
    }

    /** A blocking runOnce returns when its timeout ends (no I/O), or earlier for a timer. */
    @Test
    void runOnceWaitsAtMostItsTimeoutAndDoWorkNotAtAll() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            long t0 = System.nanoTime();
            assertEquals(0, loop.runOnce(30, TimeUnit.MILLISECONDS));
            long waited = System.nanoTime() - t0;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(25), "waited " + waited + " ns");
            assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "waited " + waited + " ns");
            t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) assertEquals(0, loop.doWork());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
            CountDownLatch timer = new CountDownLatch(1);
            loop.schedule(20, TimeUnit.MILLISECONDS, timer::countDown);
            t0 = System.nanoTime();
            // Blocks until the timer (not for the whole minute).
            while (timer.getCount() > 0) assertTrue(loop.runOnce(60, TimeUnit.SECONDS) >= 0);
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
            // A task from another thread ends an indefinite wait (a wakeup).
            Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    return;
                }
                loop.execute(() -> { });
            });
            t0 = System.nanoTime();
            assertEquals(1, loop.runOnce(-1, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
        }
    }

    /** The loop belongs to the first thread that drives it; others, and runners, get a clear error. */
    @Test
    void anotherThreadCannotDriveTheLoop() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            loop.doWork();
            CompletableFuture<Throwable> other = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    loop.runOnce(0, TimeUnit.MILLISECONDS);
                    other.complete(null);
                } catch (Throwable t) {
                    other.complete(t);
                }
            });
            Throwable t = other.get(10, TimeUnit.SECONDS);
            assertTrue(t instanceof IllegalStateException, String.valueOf(t));
            assertTrue(t.getMessage().contains("runOnce/doWork only from that thread"), t.getMessage());
            assertThrows(IllegalStateException.class, () -> loop.start("second"));
            // Nor from inside a turn.
            AtomicReference<Throwable> inner = new AtomicReference<>();
            loop.execute(() -> inner.set(assertThrows(IllegalStateException.class, loop::doWork)));
            loop.doWork();
            assertTrue(inner.get().getMessage().contains("inside a turn"));
        }
        try (EventLoop started = EventLoop.open()) {
            started.start("runner");
            assertThrows(IllegalStateException.class, started::doWork);
        }
    }

    /** stop() from another thread: the embedder's next runOnce terminates the loop and returns -1. */
    @Test
    void stopAndShutdownEndTheEmbeddedLoop() throws Exception {
        EventLoop loop = EventLoop.open();
        try {
            AtomicBoolean after = new AtomicBoolean();
            loop.afterTermination = () -> after.set(true);
            loop.doWork();
            loop.stop();
            assertEquals(-1, loop.runOnce(10, TimeUnit.SECONDS));
            assertTrue(after.get());
            assertTrue(loop.awaitTermination(Duration.ZERO));
            assertEquals(-1, loop.doWork());
            assertFalse(loop.isRunning());
            assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> loop.execute(() -> { }));
        } finally {
            loop.close();
        }
        EventLoop graceful = EventLoop.open();
        try {
            graceful.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.LEVEL, () -> EchoServer.ECHO);
            graceful.shutdown(Duration.ofSeconds(5));
            long t0 = System.nanoTime();
            int w;
            while ((w = graceful.runOnce(100, TimeUnit.MILLISECONDS)) >= 0) {
                assertTrue(System.nanoTime() - t0 < BOUND_NANOS, "shutdown did not end");
            }
            assertEquals(-1, w);
            assertEquals(0, graceful.stats().open());
        } finally {
            graceful.close();
        }
        // close() on the embedder's thread between turns closes at once.
        EventLoop closed = EventLoop.open();
        closed.doWork();
        closed.close();
        assertTrue(closed.awaitTermination(Duration.ZERO));
    }

    /**
     * Counters read from another thread while the loop counts: each whole and never going
     * backwards, and, once the traffic is over, exactly the loop's own numbers.
     */
    @Test
    void countersReadFromAnotherThread() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.LEVEL,
                    () -> EchoServer.ECHO);
            loop.start("counted");
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<String> problem = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                long lastIn = 0, lastOut = 0, lastReads = 0;
                while (!done.get()) {
                    LoopStats s = loop.stats();
                    if (s.bytesIn() < lastIn || s.bytesOut() < lastOut || s.reads() < lastReads) {
                        problem.set("went backwards: " + s);
                    }
                    if (s.bytesIn() > 200_000 || s.bytesIn() < 0) problem.set("torn or impossible: " + s);
                    lastIn = s.bytesIn();
                    lastOut = s.bytesOut();
                    lastReads = s.reads();
                }
            });
            byte[] msg = new byte[100];
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), l.port())) {
                s.setSoTimeout(10_000);
                for (int i = 0; i < 1000; i++) {
                    s.getOutputStream().write(msg);
                    s.getInputStream().readNBytes(msg.length);
                }
            }
            io.github.ffmreactor.testutil.Await.until("connection closed", () -> loop.stats().open() == 0); // listeners are not counted
            done.set(true);
            reader.join(10_000);
            assertEquals(null, problem.get());
            LoopStats mine = loop.stats();
            CompletableFuture<LoopStats> onLoop = new CompletableFuture<>();
            loop.execute(() -> onLoop.complete(loop.stats()));
            LoopStats exact = onLoop.get(10, TimeUnit.SECONDS);
            assertEquals(100_000, exact.bytesIn());
            assertEquals(100_000, exact.bytesOut());
            assertEquals(exact.bytesIn(), mine.bytesIn());
            assertEquals(exact.accepts(), mine.accepts());
        }
    }
}
