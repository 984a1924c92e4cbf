package io.github.ffmreactor.poll;

import io.github.ffmreactor.testutil.Await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.TcpPair;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import io.github.ffmreactor.Trigger;

@Timeout(20)
@ExtendWith(NoFdLeaks.class)
class EpollPollerTest {
    @BeforeAll
    static void linuxOnly() {
        assumeTrue(Epoll.available(), "epoll is Linux-only");
    }

    private static int pollFor(Poller p, long token) throws NativeException {
        int n = p.poll(0);
        for (int i = 0; i < n; i++) if (p.token(i) == token) return p.ready(i);
        return 0;
    }

    /** The classic edge-trigger stall: a partial read is reported again only under level triggering. */
    @Test
    void levelReportsAgainAfterPartialReadEdgeDoesNot() throws Exception {
        try (TcpPair lt = new TcpPair(); TcpPair et = new TcpPair(); Poller p = new EpollPoller()) {
            p.register(lt.server, Poller.READ, Trigger.LEVEL, 1);
            p.register(et.server, Poller.READ, Trigger.EDGE, 2);
            lt.send(lt.client, 100, (byte) 'x');
            et.send(et.client, 100, (byte) 'x');
            awaitReadable(p, 1, 2);
            assertEquals(5, lt.recv(lt.server, 5));
            assertEquals(5, et.recv(et.server, 5));
            // 95 bytes remain on both. Level: told again. Edge: silent, however often we ask.
            for (int i = 0; i < 3; i++) {
                assertEquals(Poller.READ, pollFor(p, 1) & Poller.READ, "level re-reports");
                assertEquals(0, pollFor(p, 2), "edge must not re-report without new data");
            }
            // New data raises a new edge.
            et.send(et.client, 1, (byte) 'y');
            awaitReadable(p, 2);
            assertEquals(96, et.recv(et.server, 1000));
        }
    }

    /** Polls until every token has been reported readable (an edge is reported once: keep it). */
    private static void awaitReadable(Poller p, long... tokens) throws NativeException {
        java.util.Set<Long> missing = new java.util.HashSet<>();
        for (long t : tokens) missing.add(t);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            int n = p.poll(50);
            for (int i = 0; i < n; i++) if ((p.ready(i) & Poller.READ) != 0) missing.remove(p.token(i));
        }
        if (!missing.isEmpty()) throw new AssertionError("never became readable: " + missing);
    }

    @Test
    void oneshotReportsOnceUntilRearmed() throws Exception {
        try (TcpPair t = new TcpPair(); Poller p = new EpollPoller()) {
            p.register(t.server, Poller.READ, Trigger.ONESHOT, 7);
            t.send(t.client, 10, (byte) 1);
            awaitReadable(p, 7);
            assertEquals(0, pollFor(p, 7));
            p.modify(t.server, Poller.READ, Trigger.ONESHOT, 7);
            assertEquals(Poller.READ, pollFor(p, 7) & Poller.READ);
        }
    }

    @Test
    void hangupIsReportedWithDataStillReadable() throws Exception {
        try (TcpPair t = new TcpPair(); Poller p = new EpollPoller()) {
            p.register(t.server, Poller.READ | Poller.HANGUP, Trigger.LEVEL, 3);
            t.send(t.client, 100, (byte) 'z');
            Fds.closeQuietly(t.client);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int r = 0;
            while ((r & Poller.HANGUP) == 0 && System.nanoTime() < deadline) r = pollFor(p, 3);
            assertEquals(Poller.HANGUP | Poller.READ, r & (Poller.HANGUP | Poller.READ));
            assertEquals(100, t.recv(t.server, 1000), "the bytes sent before the FIN are still there");
            assertEquals(0, t.recv(t.server, 1000), "then end of stream");
        }
    }

    @Test
    void wakeupEndsABlockingPollAndIsNotAnEvent() throws Exception {
        try (Poller p = new EpollPoller()) {
            CompletableFuture<Integer> n = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.poll(10_000);
                } catch (NativeException e) {
                    throw new RuntimeException(e);
                }
            });
            // Wake until the poller thread notices: the first wakeup may land before it sleeps,
            // in which case it is consumed by the poll as soon as it starts.
            p.wakeup();
            assertEquals(0, n.get(5, TimeUnit.SECONDS));
            assertEquals(1, p.stats().wakeupsSent());
            assertEquals(0, p.poll(0), "a consumed wakeup does not come back");
        }
    }

    @Test
    void badInputIsAClearError() throws Exception {
        try (Poller p = new EpollPoller(); TcpPair t = new TcpPair()) {
            NativeException closed = assertThrows(NativeException.class, () -> p.register(1_000_000, Poller.READ, Trigger.LEVEL, 1));
            assertEquals(Errno.EBADF, closed.errno());
            assertTrue(closed.getMessage().startsWith("epoll_ctl(ADD): EBADF (Bad file descriptor)"), closed.getMessage());
            NativeException never = assertThrows(NativeException.class, () -> p.modify(t.server, Poller.READ, Trigger.LEVEL, 1));
            assertEquals(Errno.ENOENT, never.errno());
            assertTrue(never.getMessage().startsWith("epoll_ctl(MOD): ENOENT"), never.getMessage());
            p.register(t.server, Poller.READ, Trigger.LEVEL, 1);
            assertEquals(Errno.EEXIST, assertThrows(NativeException.class,
                    () -> p.register(t.server, Poller.READ, Trigger.LEVEL, 1)).errno());
            assertThrows(IllegalArgumentException.class, () -> p.register(t.client, Poller.READ, Trigger.LEVEL, Long.MIN_VALUE));
            p.deregister(t.server);
            assertEquals(Errno.ENOENT, assertThrows(NativeException.class, () -> p.deregister(t.server)).errno());
            // Still works after all of that.
            p.register(t.server, Poller.READ, Trigger.LEVEL, 9);
            t.send(t.client, 1, (byte) 0);
            awaitReadable(p, 9);
        }
    }

    @Test
    void closingTwiceIsHarmless() throws Exception {
        Poller p = new EpollPoller();
        p.close();
        p.close();
        p.wakeup(); // after close: a no-op, never a write to a recycled fd number
        assertThrows(IllegalStateException.class, () -> p.poll(0));
    }

    /** EINTR from epoll_wait (a signal handled by the JVM while the loop sleeps) is retried. */
    @Test
    void interruptedWaitIsRetried() throws Throwable {
        // The test links these itself: the library hands out no handles.
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> link = (name, fd) ->
                linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), fd);
        MethodHandle gettid = link.apply("gettid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        MethodHandle tgkill = link.apply("tgkill",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        // A JVM-level handler for SIGWINCH makes the signal interrupt the syscall (its default is to be ignored).
        AtomicInteger handled = new AtomicInteger();
        sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> handled.incrementAndGet());
        try (Poller p = new EpollPoller()) {
            AtomicInteger tid = new AtomicInteger();
            CompletableFuture<Integer> n = CompletableFuture.supplyAsync(() -> {
                try {
                    tid.set((int) gettid.invokeExact());
                    return p.poll(10_000);
                } catch (Throwable e) {
                    throw new RuntimeException(e);
                }
            });
            int pid = (int) ProcessHandle.current().pid();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            while (p.stats().interrupted() == 0 && System.nanoTime() < deadline) {
                if (tid.get() != 0) {
                    int r = (int) tgkill.invokeExact(pid, tid.get(), 28 /* SIGWINCH */);
                    assertEquals(0, r);
                }
                Thread.sleep(10);
            }
            assertTrue(p.stats().interrupted() >= 1, "the wait saw EINTR");
            assertTrue(!n.isDone(), "and went back to waiting instead of failing");
            p.wakeup();
            assertEquals(0, n.get(5, TimeUnit.SECONDS));
            // The JVM runs Java signal handlers later, on its dispatcher thread: wait for it.
            Await.until("the JVM to dispatch the signal", () -> handled.get() >= 1);
        } finally {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sun.misc.SignalHandler.SIG_IGN);
        }
    }
}
