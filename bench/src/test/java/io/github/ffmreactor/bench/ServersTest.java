package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

/** Netty's native servers are offered exactly where their transport loads, and say why not elsewhere. */
class ServersTest {
    @Test
    void nettyEpollOnlyWhereItsTransportLoads() {
        boolean here = Epoll.isAvailable();
        for (String s : new String[] {"netty-epoll", "netty-epoll-spin"}) {
            assertEquals(here, Servers.available().contains(s), s);
            String why = Servers.unavailableReason(s);
            if (here) {
                assertNull(why, s);
            } else {
                assertTrue(why.startsWith(s + " skipped: Netty's epoll transport cannot run here ("), why);
            }
        }
        // Linux on x86_64 or aarch64: the jar carries both native libraries.
        String arch = System.getProperty("os.arch");
        if (System.getProperty("os.name").equals("Linux") && (arch.equals("amd64") || arch.equals("aarch64"))) {
            assertTrue(here, String.valueOf(Epoll.unavailabilityCause()));
        }
    }

    /** netty-uring: where Netty's io_uring transport loads and sets up a ring, else skipped with its cause. */
    @Test
    void nettyUringOnlyWhereItsTransportRuns() {
        boolean here = io.netty.channel.uring.IoUring.isAvailable();
        assertEquals(here, Servers.available().contains("netty-uring"));
        String why = Servers.unavailableReason("netty-uring");
        if (here) {
            assertNull(why);
        } else {
            assertTrue(why.startsWith("netty-uring skipped: Netty's io_uring transport cannot run here ("), why);
        }
        // Linux on x86_64 where this process may use io_uring (ffmreactor's own probe): the jar carries the library.
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")
                && io.github.ffmreactor.sys.Uring.available()) {
            assertTrue(here, String.valueOf(io.netty.channel.uring.IoUring.unavailabilityCause()));
        }
    }

    @Test
    void cUringOnlyWhereItCanBeBuiltAndRun() {
        String why = CServer.uringUnavailable();
        assertEquals(why == null, Servers.available().contains("c-uring"));
        if (why == null) {
            assertNull(Servers.unavailableReason("c-uring"));
            assertEquals("echo_uring.c", CServer.source("c-uring"));
        } else {
            assertEquals("c-uring skipped: " + why, Servers.unavailableReason("c-uring"));
        }
        assertEquals("echo_epoll.c", CServer.source("c-epoll-spin"));
        // This machine has liburing-dev and io_uring: the peer is offered.
        if (java.nio.file.Files.isReadable(java.nio.file.Path.of(CServer.LIBURING_HEADER))
                && io.github.ffmreactor.sys.Uring.available() && CServer.gccPath() != null) {
            assertNull(why);
        }
    }

    @Test
    void anUnknownServerIsNamed() {
        assertTrue(Servers.unavailableReason("nope").startsWith("unknown server 'nope' (known: c-epoll, "));
    }

    /** The trigger profile's servers: oneshot where epoll is, the kqueue trio exactly where kqueue is. */
    @Test
    void triggerServersWhereTheirBackendIs() {
        java.util.List<String> backends = io.github.ffmreactor.poll.Poller.available();
        assertEquals(backends.contains("epoll"), Servers.available().contains("ffm-oneshot"));
        for (String s : new String[] {"ffm-kqueue-edge", "ffm-kqueue-level", "ffm-kqueue-oneshot"}) {
            assertEquals(backends.contains("kqueue"), Servers.available().contains(s), s);
            if (!backends.contains("kqueue")) {
                assertEquals(s + " skipped: backend not available on this OS (available: " + backends + ")", Servers.unavailableReason(s));
            }
        }
        for (String s : TriggerTable.servers()) assertTrue(Servers.ALL.contains(s), s);
    }
}
