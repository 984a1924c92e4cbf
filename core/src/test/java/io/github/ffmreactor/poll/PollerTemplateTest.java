package io.github.ffmreactor.poll;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.poll.Poller.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.FdCount;
import io.github.ffmreactor.testutil.TcpPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one poller template: the registration checks {@link BasePoller} makes for every backend,
 * its undo of a half-built poller, the shared {@link FdTable}, and the one way the wakeup event
 * is dropped from a native events array.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PollerTemplateTest {
    static List<String> backends() {
        return Poller.available();
    }

    @AfterEach
    void clearFaults() {
        Faults.clear();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void everyBackendMakesTheSameChecks(String backend) throws Exception {
        int before = FdCount.now();
        try (TcpPair s = new TcpPair()) {
            BasePoller p = (BasePoller) Poller.open(backend);
            try {
                assertThrows(IllegalArgumentException.class, () -> p.register(s.server, READ | ERROR, Trigger.LEVEL, 1),
                        "ERROR is a readiness bit, not an interest");
                assertThrows(IllegalArgumentException.class, () -> p.register(s.server, READ, Trigger.LEVEL, BasePoller.WAKE_TOKEN),
                        "the wakeup's token is reserved");
                NativeException e = assertThrows(NativeException.class, () -> p.modify(s.server, READ, Trigger.LEVEL, 1));
                assertEquals("ENOENT", e.errnoName(), backend + " modify of an unregistered fd");
                e = assertThrows(NativeException.class, () -> p.deregister(s.server));
                assertEquals("ENOENT", e.errnoName(), backend + " deregister of an unregistered fd");
                p.register(s.server, READ, Trigger.LEVEL, 1);
                e = assertThrows(NativeException.class, () -> p.register(s.server, READ, Trigger.LEVEL, 2));
                assertEquals("EEXIST", e.errnoName(), backend + " second register");
                int wake = p.wakeFd();
                if (wake >= 0) {
                    e = assertThrows(NativeException.class, () -> p.register(wake, READ, Trigger.LEVEL, 3));
                    assertEquals("EEXIST", e.errnoName(), backend + ": the wakeup's fd is taken");
                    e = assertThrows(NativeException.class, () -> p.modify(wake, WRITE, Trigger.LEVEL, 3));
                    assertEquals("ENOENT", e.errnoName(), backend + ": the wakeup's fd is not the user's to modify");
                    e = assertThrows(NativeException.class, () -> p.deregister(wake));
                    assertEquals("ENOENT", e.errnoName(), backend + ": the wakeup's fd is not the user's to remove");
                }
                p.wakeup();
                assertEquals(0, p.poll(1000), backend + ": the wakeup is not an event, the registrations still work");
                p.deregister(s.server);
            } finally {
                p.close();
            }
            assertThrows(IllegalStateException.class, () -> p.register(s.server, READ, Trigger.LEVEL, 1));
            assertThrows(IllegalStateException.class, () -> p.deregister(s.server));
        }
        FdCount.assertBackTo(before);
    }

    /** The epoll constructor's last step (adding the eventfd) fails: the eventfd and the epoll fd it made are closed. */
    @Test
    void aHalfBuiltEpollPollerReleasesWhatItMade() throws Exception {
        if (!Epoll.available()) return;
        int before = FdCount.now();
        Faults.fail(Faults.Call.CTL, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
        NativeException e = assertThrows(NativeException.class, () -> new EpollPoller(16));
        assertEquals("ENOMEM", e.errnoName());
        assertTrue(e.getMessage().contains("epoll_ctl"), e.getMessage());
        assertEquals(1, Faults.fired(Faults.Call.CTL));
        FdCount.assertBackTo(before);
        new EpollPoller(16).close(); // and the next one is whole
        FdCount.assertBackTo(before);
    }

    /**
     * The select constructor's check fails after its wakeup pipe is made (every fd below FD_SETSIZE
     * is taken, so the pipe lands past it): both pipe ends are closed again.
     */
    @Test
    void aHalfBuiltSelectPollerReleasesWhatItMade() throws Exception {
        if (!Poller.available().contains("select") || !FdCount.supported()) return;
        MemorySegment cs = Native.threadCallState();
        List<Integer> fillers = new ArrayList<>();
        try (TcpPair s = new TcpPair()) {
            // Take every free number below FD_SETSIZE (F_DUPFD returns the lowest free >= 0).
            for (int i = 0; i < 1100; i++) {
                int fd = Unistd.fcntl(cs, s.server, 0 /* F_DUPFD */, 0);
                if (fd < 0) return; // a process fd limit this low leaves nothing to test
                fillers.add(fd);
                if (fd >= 1023) break;
            }
            int before = FdCount.now();
            IllegalStateException e = assertThrows(IllegalStateException.class, SelectPoller::new);
            assertTrue(e.getMessage().contains("FD_SETSIZE"), e.getMessage());
            FdCount.assertBackTo(before);
        } finally {
            for (int fd : fillers) Unistd.close(cs, fd);
        }
    }

    @Test
    void fdTableKeepsEntriesDenseAndFindsThemByFd() {
        FdTable t = new FdTable(2, true);
        assertEquals(0, t.add(10, READ, 100));
        assertEquals(1, t.add(20, WRITE, 200));
        assertEquals(2, t.add(-5, READ, 300)); // a key past 2^31 (a Windows handle): grows the table
        assertTrue(t.capacity() >= 3);
        assertEquals(-1, t.entry(30));
        assertEquals(2, t.remove(t.entry(10)), "the last entry moves into the hole");
        assertEquals(2, t.count());
        assertEquals(0, t.entry(-5));
        assertEquals(-5, t.fd(0));
        assertEquals(300, t.token(0));
        assertEquals(-1, t.entry(10));
        assertEquals(-1, t.remove(t.entry(20)), "removing the last entry moves nothing");
        t.set(0, WRITE, 301);
        assertEquals(WRITE, t.interest(0));
        t.clearReady();
        t.ready(0, READ | WRITE);
        assertEquals(1, t.readyCount());
        assertEquals(301, t.readyToken(0));
        assertEquals(READ | WRITE, t.readyBits(0));

        FdTable fixed = new FdTable(2, false);
        fixed.add(1, READ, 1);
        fixed.add(2, READ, 2);
        assertThrows(IllegalStateException.class, () -> fixed.add(3, READ, 3));
    }

    @Test
    void theWakeupEventIsDroppedFromANativeArray() {
        long stride = 12, offset = 4; // epoll's packed x86-64 event: the token is unaligned
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(stride * 4, 8);
            long[] tokens = {7, BasePoller.WAKE_TOKEN, 8, 9};
            for (int i = 0; i < 4; i++) {
                ev.set(ValueLayout.JAVA_INT_UNALIGNED, i * stride, 100 + i);
                ev.set(ValueLayout.JAVA_LONG_UNALIGNED, i * stride + offset, tokens[i]);
            }
            assertEquals(1, BasePoller.dropWake(ev, 1, stride, offset), "nothing to drop in the first one");
            assertEquals(3, BasePoller.dropWake(ev, 4, stride, offset));
            assertEquals(9, ev.get(ValueLayout.JAVA_LONG_UNALIGNED, stride + offset), "the last event took its place");
            assertEquals(103, ev.get(ValueLayout.JAVA_INT_UNALIGNED, stride));
            assertEquals(3, BasePoller.dropWake(ev, 3, stride, offset), "dropped once");
            ev.set(ValueLayout.JAVA_LONG_UNALIGNED, 2 * stride + offset, BasePoller.WAKE_TOKEN);
            assertEquals(2, BasePoller.dropWake(ev, 3, stride, offset), "as the last event: just not counted");
        }
    }

    /**
     * Many registrations past a small initial capacity (poll's table and pollfd array grow), then
     * removals from the middle (the last entry moves into the hole): every backend still reports
     * exactly the fds registered, each under its own token.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void registrationsSurviveGrowthAndRemovalFromTheMiddle(String backend) throws Exception {
        int before = FdCount.now();
        MemorySegment cs = Native.threadCallState();
        List<Integer> dups = new ArrayList<>();
        try (TcpPair s = new TcpPair(); Poller p = backend.equals("poll") ? new PollPoller(2) : Poller.open(backend)) {
            for (int i = 0; i < 12; i++) {
                int fd = Unistd.fcntl(cs, s.client, 0 /* F_DUPFD */, 0);
                assertTrue(fd >= 0);
                dups.add(fd);
                p.register(fd, WRITE, Trigger.LEVEL, 1000 + i);
            }
            assertEquals(expected(0, 12), tokens(p), backend + ": all 12 writable");
            for (int i = 2; i < 12; i += 3) p.deregister(dups.get(i)); // 2, 5, 8, 11
            p.modify(dups.get(0), WRITE, Trigger.LEVEL, 2000);
            java.util.Set<Long> want = new java.util.TreeSet<>(expected(0, 12));
            want.removeAll(List.of(1002L, 1005L, 1008L, 1011L, 1000L));
            want.add(2000L);
            assertEquals(want, tokens(p), backend + ": the rest, under their own tokens");
            for (int i = 0; i < 12; i++) if (i % 3 != 2) p.deregister(dups.get(i));
            assertEquals(0, p.poll(0), backend + ": nothing registered, nothing ready");
        } finally {
            for (int fd : dups) Unistd.close(cs, fd);
        }
        FdCount.assertBackTo(before);
    }

    private static java.util.Set<Long> expected(int from, int to) {
        java.util.Set<Long> s = new java.util.TreeSet<>();
        for (int i = from; i < to; i++) s.add(1000L + i);
        return s;
    }

    private static java.util.Set<Long> tokens(Poller p) throws NativeException {
        java.util.Set<Long> s = new java.util.TreeSet<>();
        int n = p.poll(1000);
        for (int i = 0; i < n; i++) {
            assertEquals(WRITE, p.ready(i) & WRITE);
            assertTrue(s.add(p.token(i)), "one event per fd");
        }
        return s;
    }
}
