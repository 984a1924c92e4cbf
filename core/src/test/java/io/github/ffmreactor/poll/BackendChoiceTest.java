package io.github.ffmreactor.poll;

import io.github.ffmreactor.testutil.TcpPair;

import static io.github.ffmreactor.poll.Poller.READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.Unistd;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Kqueue;

/** Which backend is chosen, how one is forced, and what each refuses. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BackendChoiceTest {
    static List<String> backends() {
        return Poller.available();
    }

    @Test
    void availableIsBestFirstForThisOs() {
        List<String> expected = switch (Platform.CURRENT) {
            // kqueue on Linux only under libkqueue (-Dffmreactor.kqueue.library), after epoll.
            case LINUX -> Kqueue.EMULATED ? List.of("epoll", "kqueue", "poll", "select") : List.of("epoll", "poll", "select");
            case MACOS, FREEBSD -> List.of("kqueue", "poll", "select");
            case WINDOWS -> List.of("select");
            default -> Poller.available();
        };
        assertEquals(expected, Poller.available());
    }

    @Test
    void autoPicksTheBest() throws Exception {
        try (Poller p = Poller.open("auto")) {
            assertEquals(Poller.available().get(0), p.name());
        }
    }

    @Test
    void systemPropertyForcesABackend() throws Exception {
        String old = System.getProperty(Poller.BACKEND_PROPERTY);
        String last = Poller.available().get(Poller.available().size() - 1);
        try {
            System.setProperty(Poller.BACKEND_PROPERTY, last);
            try (Poller p = Poller.open()) {
                assertEquals(last, p.name());
            }
            System.setProperty(Poller.BACKEND_PROPERTY, "auto");
            try (Poller p = Poller.open()) {
                assertEquals(Poller.available().get(0), p.name());
            }
        } finally {
            if (old == null) System.clearProperty(Poller.BACKEND_PROPERTY);
            else System.setProperty(Poller.BACKEND_PROPERTY, old);
        }
    }

    @Test
    void aBackendThisOsLacksIsAClearError() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Platform.CURRENT == Platform.LINUX && Kqueue.EMULATED,
                "Linux with kqueue emulated lacks none of the four");
        String missing = Platform.CURRENT == Platform.LINUX ? "kqueue" : "epoll";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Poller.open(missing));
        assertTrue(e.getMessage().contains("'" + missing + "' is not available"), e.getMessage());
        assertTrue(e.getMessage().contains(Poller.available().toString()), e.getMessage());
    }

    @Test
    void anUnknownNameIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Poller.open("iocp"));
        assertTrue(e.getMessage().contains("unknown backend 'iocp'"), e.getMessage());
        assertTrue(e.getMessage().contains("epoll, kqueue, poll, select"), e.getMessage());
    }

    @Test
    void namesAreCaseInsensitive() throws Exception {
        try (Poller p = Poller.open(" POLL ")) {
            assertEquals("poll", p.name());
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void triggersTheBackendCannotCarryAreRefusedAtRegistration(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            Capabilities caps = p.capabilities();
            boolean native_ = backend.equals("epoll") || backend.equals("kqueue");
            assertEquals(native_, caps.edge(), "edge");
            assertEquals(native_, caps.oneshot(), "oneshot");
            for (Trigger t : new Trigger[] {Trigger.EDGE, Trigger.ONESHOT}) {
                if (caps.supports(t)) {
                    p.register(s.server, READ, t, 1);
                    p.deregister(s.server);
                } else {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> p.register(s.server, READ, t, 1));
                    assertTrue(e.getMessage().contains(backend) && e.getMessage().contains(t.name()), e.getMessage());
                }
            }
            // Nothing was left registered by the refusals: a level registration succeeds.
            p.register(s.server, READ, Trigger.LEVEL, 1);
            if (!caps.edge()) {
                assertThrows(IllegalArgumentException.class, () -> p.modify(s.server, READ, Trigger.EDGE, 1));
            }
            p.deregister(s.server);
        }
    }

    @ParameterizedTest @MethodSource("backends")
    void edgeAndOneshotWhereTheKernelHasThem(String backend) throws Exception {
        try (Poller p = Poller.open(backend); TcpPair s = new TcpPair()) {
            if (!p.capabilities().edge()) return;
            p.register(s.server, READ, Trigger.EDGE, 7);
            s.send(s.client, 10);
            assertEquals(READ, PollerBehaviourTest.await(p, 7, READ) & READ);
            assertEquals(-1, PollerBehaviourTest.poll(p, 7, 0), "edge: no new data, no new event");
            s.send(s.client, 10);
            assertEquals(READ, PollerBehaviourTest.await(p, 7, READ) & READ, "new data, new edge");
            p.deregister(s.server);
            p.register(s.server, READ, Trigger.ONESHOT, 8);
            assertEquals(READ, PollerBehaviourTest.await(p, 8, READ) & READ);
            s.send(s.client, 10);
            assertEquals(-1, PollerBehaviourTest.poll(p, 8, 0), "oneshot: disarmed after one event");
            p.modify(s.server, READ, Trigger.ONESHOT, 8);
            assertEquals(READ, PollerBehaviourTest.await(p, 8, READ) & READ, "re-armed by modify");
            p.deregister(s.server);
        }
    }

    @Test
    void selectRefusesFdsAtOrAboveFdSetSize() throws Exception {
        if (!Poller.available().contains("select") || Platform.CURRENT == Platform.WINDOWS) return;
        try (Poller p = Poller.open("select"); TcpPair s = new TcpPair()) {
            assertEquals(1023, p.capabilities().maxFd());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.register(1024, READ, Trigger.LEVEL, 1));
            assertTrue(e.getMessage().contains("FD_SETSIZE (1024)"), e.getMessage());
            // A real fd past the limit (F_DUPFD: the lowest free number >= 1024), where the
            // process may have one.
            int high = Unistd.fcntl(Native.threadCallState(), s.server, 0 /* F_DUPFD */, 1500);
            if (high >= 0) {
                try {
                    assertTrue(high >= 1500);
                    assertThrows(IllegalArgumentException.class, () -> p.register(high, READ, Trigger.LEVEL, 1));
                    try (Poller q = Poller.open("poll")) {
                        // poll has no such limit.
                        q.register(high, READ, Trigger.LEVEL, 1);
                        q.deregister(high);
                    }
                } finally {
                    Unistd.close(Native.threadCallState(), high);
                }
            }
            assertFalse(p.capabilities().supports(Trigger.EDGE));
        }
    }
}
