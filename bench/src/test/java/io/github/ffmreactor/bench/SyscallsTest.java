package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Counting a server's kernel crossings per round trip: perf's CSV, the window, and a failed attach. */
class SyscallsTest {
    @Test
    void parsesPerfStatCsv() {
        Map<String, Long> n = Syscalls.parsePerf(List.of(
                "# started on Fri Dec  4 07:28:21 2026",
                "",
                "1067746,,raw_syscalls:sys_enter,145664894,100.00,,",
                "<not counted>,,syscalls:sys_enter_io_uring_enter,0,100.00,,",
                "<not supported>,,syscalls:sys_enter_nope,0,100.00,,",
                "Events disabled"));
        assertEquals(Map.of(Syscalls.ALL_EVENT, 1067746L, Syscalls.URING_EVENT, 0L), n);
    }

    @Test
    void perRoundTripDividesByTheRoundTripsOfTheWindow() {
        Syscalls.Count c = new Syscalls.Count("perf", 30_000, 5_000, 10_000);
        assertEquals(3.0, c.perRoundTrip());
        assertEquals(0.5, c.uringEntersPerRoundTrip());
        assertTrue(Double.isNaN(new Syscalls.Count("perf", 3, 0, 0).perRoundTrip()));
        assertEquals("kernel crossings per round trip (perf, 10,000 round trips): syscalls=3.000 io_uring_enter=0.500", c.summary());
    }

    /** perf that cannot attach (no such process) fails at once with perf's own words, leaving nothing behind. */
    @Test
    @Timeout(30)
    void aFailedAttachSaysWhyAndLeavesNoFd() throws Exception {
        assumeTrue(Syscalls.tool().equals("perf"), "perf cannot count syscall tracepoints here: " + Syscalls.tool());
        long fds0 = OpenFds.countable() ? OpenFds.count() : -1;
        long gone = ProcessHandle.current().pid() + 4_000_000; // above pid_max's largest default
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> Syscalls.perf(gone, Duration.ofMillis(100), () -> 0));
        assertTrue(e.getMessage().startsWith("perf stat did not enable its counters: perf exited with status "), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "waited for the ack timeout instead of noticing perf's exit");
        if (fds0 >= 0) assertEquals(fds0, OpenFds.count(), "fds left open");
    }

    /**
     * The C epoll server at one connection makes exactly one read, one write and one epoll_wait per
     * round trip: the counter must see about 3 (each end of the window may cut a round trip).
     */
    @Test
    @Timeout(90)
    void cEpollMakesThreeSyscallsPerRoundTrip() throws Exception {
        assumeTrue(!Syscalls.tool().equals("none"), "neither perf nor strace can count syscalls here");
        assumeTrue(Servers.available().contains("c-epoll"), Servers.unavailableReason("c-epoll"));
        try (ServerProcess sp = ServerProcess.start("c-epoll");
             LoadClient client = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port), 1, 64, 1, 1)) {
            assertTrue(client.awaitCompleted(1_000, Duration.ofSeconds(30)), "stalled: " + client.firstError());
            Syscalls.Count c = Syscalls.window(sp.pid, Duration.ofMillis(500), client::completed);
            assertTrue(c.roundTrips() > 100, c.summary());
            assertEquals(3.0, c.perRoundTrip(), 0.3, c.summary());
            assertEquals(0.0, c.uringEntersPerRoundTrip(), c.summary());
            assertEquals(0, client.errors(), client.firstError());
        }
    }
}
