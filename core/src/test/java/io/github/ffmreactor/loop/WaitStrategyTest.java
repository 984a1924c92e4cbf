package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Block, spin and spin-then-park: the parser, echo on every backend, tasks/timers/wakeups, idling. */
@Timeout(60)
class WaitStrategyTest {
    static final String[] STRATEGIES = {"block", "spin", "spin-then-park:50us", "backoff:2ms"};

    static List<Arguments> backendsTriggersStrategies() {
        List<Arguments> r = new ArrayList<>();
        for (Arguments bt : Backends.withTriggers()) {
            for (String w : STRATEGIES) r.add(Arguments.of(bt.get()[0], bt.get()[1], w));
        }
        return r;
    }

    @Test
    void parsesEachStrategyAndPrintsItBack() {
        assertEquals(WaitStrategy.BLOCK, WaitStrategy.parse("block"));
        assertEquals(WaitStrategy.SPIN, WaitStrategy.parse(" Spin "));
        assertEquals(new WaitStrategy.SpinThenPark(Duration.ofNanos(50_000)), WaitStrategy.parse("spin-then-park:50us"));
        assertEquals(Duration.ofMillis(2), ((WaitStrategy.SpinThenPark) WaitStrategy.parse("spin-then-park:2ms")).parkAfter());
        assertEquals(Duration.ofSeconds(1), ((WaitStrategy.SpinThenPark) WaitStrategy.parse("spin-then-park:1s")).parkAfter());
        assertEquals(Duration.ofNanos(700), ((WaitStrategy.SpinThenPark) WaitStrategy.parse("spin-then-park:700ns")).parkAfter());
        assertEquals(new WaitStrategy.Backoff(Duration.ofMillis(100)), WaitStrategy.parse("backoff"));
        assertEquals(new WaitStrategy.Backoff(Duration.ofMillis(5)), WaitStrategy.parse("Backoff:5ms"));
        assertEquals(Duration.ofSeconds(2), ((WaitStrategy.Backoff) WaitStrategy.parse("backoff:2s")).maxPark());
        for (String s : List.of("block", "spin", "spin-then-park:50us", "spin-then-park:3ms", "spin-then-park:1s",
                "spin-then-park:1500ns", "backoff", "backoff:5ms", "backoff:1s")) {
            assertEquals(s, WaitStrategy.parse(s).toString());
            assertEquals(WaitStrategy.parse(s), WaitStrategy.parse(WaitStrategy.parse(s).toString()));
        }
        assertEquals(WaitStrategy.BLOCK, LoopOptions.defaults().waitStrategy());
        LoopOptions o = LoopOptions.defaults().withWait(WaitStrategy.SPIN).withBackend(Backend.POLL).withReadsPerTurn(3);
        assertEquals(WaitStrategy.SPIN, o.waitStrategy());
        assertEquals(Backend.POLL, o.backend());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sleep", "spin-then-park", "spin-then-park:", "spin-then-park:50", "spin-then-park:us",
            "spin-then-park:1.5ms", "spin-then-park:-5us", "spin-then-park:0us", "spin-then-park:50 us",
            "spin-then-park:99999999999999999999s", "spin-then-park:9999999999s", "backoff:", "backoff:500us",
            "backoff:0ms", "backoff:5", "backoffs"})
    void rejectsBadTextSayingWhatItTakes(String bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WaitStrategy.parse(bad));
        String m = e.getMessage();
        assertTrue(m.contains("'" + bad + "'"), m);
        assertTrue(m.contains("block|spin|spin-then-park:<duration>|backoff[:<max-park>]") || m.contains("spin-then-park")
                || m.contains("backoff"), m);
    }

    @Test
    void rejectsNullAndNonPositiveValues() {
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.SpinThenPark(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.SpinThenPark(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.SpinThenPark(null));
        assertThrows(IllegalArgumentException.class, () -> LoopOptions.defaults().withWait(null));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.Backoff(Duration.ofNanos(999_999)));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.Backoff(-1, 0, Duration.ofMillis(1)));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.Backoff(0, -1, Duration.ofMillis(1)));
        assertThrows(IllegalArgumentException.class, () -> new WaitStrategy.Backoff(null));
    }

    /** Back-off: spins, then yields (both timeout 0), then waits 1, 2, 4... ms up to the max; work resets it. */
    @Test
    void backoffSpinsYieldsThenParksLongerAndLonger() {
        WaitStrategy.Idler idler = new WaitStrategy.Backoff(3, 2, Duration.ofMillis(5)).idler();
        assertEquals(0, idler.idle(1));
        for (int i = 0; i < 5; i++) assertEquals(0, idler.idle(0), "spin/yield turn " + i);
        assertEquals(1, idler.idle(0));
        assertEquals(2, idler.idle(0));
        assertEquals(4, idler.idle(0));
        assertEquals(5, idler.idle(0));
        assertEquals(5, idler.idle(0));
        assertEquals(0, idler.idle(7)); // work: back to spinning
        for (int i = 0; i < 5; i++) assertEquals(0, idler.idle(0));
        assertEquals(1, idler.idle(0));
        // Each loop gets its own state.
        WaitStrategy b = WaitStrategy.parse("backoff");
        WaitStrategy.Idler a1 = b.idler(), a2 = b.idler();
        for (int i = 0; i < WaitStrategy.Backoff.DEFAULT_SPINS + WaitStrategy.Backoff.DEFAULT_YIELDS; i++) a1.idle(0);
        assertEquals(1, a1.idle(0));
        assertEquals(0, a2.idle(0));
    }

    /** A strategy written by a user: spin while the last turn had work, else wait at most 3 ms. */
    record SpinOnWork(AtomicInteger asked) implements WaitStrategy {
        @Override
        public Idler idler() {
            return work -> {
                asked.incrementAndGet();
                return work > 0 ? 0 : 3;
            };
        }
    }

    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.testutil.Backends#names")
    void userWrittenStrategyDrivesTheLoop(String backend) throws Exception {
        AtomicInteger asked = new AtomicInteger();
        LoopOptions options = LoopOptions.defaults().withBackend(Backend.parse(backend)).withWait(new SpinOnWork(asked));
        try (LoopRunner r = new LoopRunner(options, Trigger.LEVEL, () -> EchoServer.ECHO)) {
            try (Socket a = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
                a.setSoTimeout(10_000);
                for (int i = 0; i < 50; i++) {
                    a.getOutputStream().write(("m" + i).getBytes());
                    assertEquals("m" + i, new String(a.getInputStream().readNBytes(("m" + i).length())));
                }
            }
            r.awaitNoConnections();
            // Idle with a 3 ms timed wait: the loop keeps asking (about 300 times a second).
            int before = asked.get();
            Await.until("the idler asked again", () -> asked.get() > before + 10);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("backendsTriggersStrategies")
    void echoesOnEveryBackend(String backend, Trigger trigger, String wait) throws Exception {
        LoopOptions options = LoopOptions.defaults().withBackend(Backend.parse(backend)).withWait(WaitStrategy.parse(wait));
        try (LoopRunner r = new LoopRunner(options, trigger, () -> EchoServer.ECHO)) {
            assertEquals(WaitStrategy.parse(wait), r.loop.options().waitStrategy());
            try (Socket a = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
                 Socket b = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort())) {
                a.setSoTimeout(10_000);
                b.setSoTimeout(10_000);
                for (int i = 0; i < 200; i++) {
                    byte[] msg = ("msg " + i + " on " + backend).getBytes();
                    a.getOutputStream().write(msg);
                    b.getOutputStream().write(msg);
                    assertEquals(new String(msg), new String(a.getInputStream().readNBytes(msg.length)));
                    assertEquals(new String(msg), new String(b.getInputStream().readNBytes(msg.length)));
                }
            }
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /**
     * While the loop spins it stays awake: tasks from another thread run without a single wakeup
     * signal, and timers fire on time with the poller never asked to wait. A blocking loop, put
     * back to sleep before each task, is woken once per task (so the counter is live).
     */
    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.testutil.Backends#names")
    void tasksAndTimersRunWhileSpinningWithoutWakeups(String backend) throws Exception {
        assertEquals(0, tasksThenWakeups(backend, WaitStrategy.SPIN));
        // Spinning for 10 s after each task: the tasks and timers below run well within that.
        assertEquals(0, tasksThenWakeups(backend, new WaitStrategy.SpinThenPark(Duration.ofSeconds(10))));
        assertEquals(TASKS, tasksThenWakeups(backend, WaitStrategy.BLOCK));
        // Back-off with a long spin stays awake too; a user strategy that always spins as well.
        assertEquals(0, tasksThenWakeups(backend, new WaitStrategy.Backoff(Integer.MAX_VALUE, 0, Duration.ofMillis(1))));
        assertEquals(0, tasksThenWakeups(backend, () -> work -> 0));
    }

    static final int TASKS = 50;

    /**
     * After a first task, {@value #TASKS} tasks queued from this thread one at a time, each after
     * the loop entered its next wait, then two timers (scheduled from the loop); returns the
     * wakeups the loop was sent for them.
     */
    private static long tasksThenWakeups(String backend, WaitStrategy wait) throws Exception {
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)).withWait(wait))) {
            loop.start("wait-" + wait);
            // The first task starts a spin-then-park loop's spin window (it may have parked already).
            CompletableFuture<Long> first = new CompletableFuture<>();
            loop.execute(() -> first.complete(loop.stats().waits()));
            long waitsAtTask = first.get(10, TimeUnit.SECONDS);
            long before = loop.stats().wakeups();
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < TASKS; i++) {
                long seen = waitsAtTask;
                // The loop has called the poller again since the last task: a blocking loop is asleep.
                Await.until("the loop's next wait", () -> loop.stats().waits() > seen);
                CompletableFuture<Long> done = new CompletableFuture<>();
                loop.execute(() -> {
                    ran.incrementAndGet();
                    done.complete(loop.stats().waits());
                });
                waitsAtTask = done.get(10, TimeUnit.SECONDS);
            }
            assertEquals(TASKS, ran.get());
            long wakeups = loop.stats().wakeups() - before;
            CountDownLatch timers = new CountDownLatch(2);
            long t0 = System.nanoTime();
            CompletableFuture<Void> scheduled = new CompletableFuture<>();
            loop.execute(() -> {
                loop.schedule(20, TimeUnit.MILLISECONDS, timers::countDown);
                loop.schedule(40, TimeUnit.MILLISECONDS, timers::countDown);
                scheduled.complete(null);
            });
            scheduled.get(10, TimeUnit.SECONDS);
            assertTrue(timers.await(10, TimeUnit.SECONDS), "timers fired");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40), "not before their time");
            if (!(wait instanceof WaitStrategy.Block)) wakeups = loop.stats().wakeups() - before;
            return wakeups;
        }
    }

    /**
     * spin-then-park goes idle: once its threshold has passed with nothing to do, its thread uses
     * almost no CPU and the poller is barely called; a spinning loop, measured the same way, keeps
     * calling it. Conservative bounds, for a loaded 2-core machine.
     */
    @Test
    void spinThenParkIsIdleAfterTheThreshold() throws Exception {
        Idle stp = idleOver1s(new WaitStrategy.SpinThenPark(Duration.ofMillis(5)));
        Idle spin = idleOver1s(WaitStrategy.SPIN);
        System.out.printf("idle 1 s: spin-then-park:5ms cpu=%d ms waits=%d; spin cpu=%d ms waits=%d%n",
                stp.cpuNanos / 1_000_000, stp.waits, spin.cpuNanos / 1_000_000, spin.waits);
        assertTrue(stp.cpuNanos < TimeUnit.MILLISECONDS.toNanos(100), "spin-then-park used " + stp.cpuNanos + " ns idle");
        assertTrue(stp.waits <= 5, "spin-then-park polled " + stp.waits + " times idle");
        assertTrue(spin.waits > 1_000, "spin polled only " + spin.waits + " times in 1 s");
    }

    record Idle(long cpuNanos, long waits) {}

    private static Idle idleOver1s(WaitStrategy wait) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withWait(wait))) {
            Thread t = loop.start("idle-" + wait);
            // Activity (a task), then the loop is left alone past the threshold.
            CompletableFuture<Void> task = new CompletableFuture<>();
            loop.execute(() -> task.complete(null));
            task.get(10, TimeUnit.SECONDS);
            if (wait instanceof WaitStrategy.SpinThenPark) {
                Await.until("the loop parked", () -> {
                    long w = loop.stats().waits();
                    Thread.sleep(20);
                    return loop.stats().waits() == w;
                });
            }
            long cpu0 = mx.getThreadCpuTime(t.threadId());
            long w0 = loop.stats().waits();
            Thread.sleep(1000); // the measured window itself
            long cpu = mx.getThreadCpuTime(t.threadId()) - cpu0;
            return new Idle(cpu, loop.stats().waits() - w0);
        }
    }
}
