package io.github.ffmreactor.poll;

import io.github.ffmreactor.testutil.FdCount;

import io.github.ffmreactor.testutil.TcpPair;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.poll.Poller.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.NativeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import io.github.ffmreactor.Trigger;

/**
 * Differential: one socket watched by every level-triggered backend at once (an fd may sit in an
 * epoll set and in poll/select arrays at the same time), driven through a sequence of states.
 * At each state all backends must report the same READ and WRITE readiness; the backends that
 * report a peer's FIN the same way (Linux epoll and poll) must agree on HANGUP and ERROR too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LevelDifferentialTest {
    static final long T = 99;

    /**
     * Backends whose hang-up reports are compared: epoll (EPOLLRDHUP) and Linux poll (POLLRDHUP)
     * see a peer's FIN the same way. select has no such bit; poll elsewhere has no POLLRDHUP and
     * kqueue's EV_EOF has no poll counterpart there, so on macOS/BSD only READ/WRITE are compared.
     */
    static final java.util.Set<String> HANGUP_COMPARED = io.github.ffmreactor.sys.Platform.CURRENT
            == io.github.ffmreactor.sys.Platform.LINUX ? java.util.Set.of("epoll", "poll") : java.util.Set.of();

    private final Map<String, Poller> pollers = new LinkedHashMap<>();
    private final List<String> log = new ArrayList<>();

    private int readiness(Poller p, int timeoutMs) throws NativeException {
        int bits = PollerBehaviourTest.poll(p, T, timeoutMs);
        return bits < 0 ? 0 : bits;
    }

    /**
     * Waits (5 s at most) until the first backend's readiness satisfies {@code settled} (the kernel
     * state has caught up with what the test did), then polls every backend without waiting and
     * compares.
     */
    private int check(String state, IntPredicate settled) throws NativeException {
        Poller first = pollers.values().iterator().next();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int ref = readiness(first, 0);
        while (!settled.test(ref) && System.nanoTime() < deadline) ref = readiness(first, 20);
        assertTrue(settled.test(ref), state + ": never settled, " + first.name() + " says " + bits(ref));
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Poller p : pollers.values()) seen.put(p.name(), readiness(p, 0));
        log.add(state + " " + seen);
        int rw = -1, hup = -1;
        for (Map.Entry<String, Integer> e : seen.entrySet()) {
            int b = e.getValue();
            if (rw < 0) rw = b & (READ | WRITE);
            assertEquals(bits(rw), bits(b & (READ | WRITE)), state + ": READ/WRITE differ: " + seen);
            if (HANGUP_COMPARED.contains(e.getKey())) {
                if (hup < 0) hup = b & (HANGUP | ERROR);
                assertEquals(bits(hup), bits(b & (HANGUP | ERROR)), state + ": HANGUP/ERROR differ: " + seen);
            }
        }
        return rw | Math.max(hup, 0);
    }

    static String bits(int b) {
        StringBuilder s = new StringBuilder("{");
        if ((b & READ) != 0) s.append("READ ");
        if ((b & WRITE) != 0) s.append("WRITE ");
        if ((b & HANGUP) != 0) s.append("HANGUP ");
        if ((b & ERROR) != 0) s.append("ERROR ");
        return s.toString().trim() + "}";
    }

    @Test
    void levelBackendsReportTheSameReadiness() throws Exception {
        List<String> level = Poller.available();
        if (level.size() < 2) return;
        int before = FdCount.now();
        try (TcpPair s = new TcpPair()) {
            for (String b : level) {
                Poller p = Poller.open(b);
                pollers.put(b, p);
                p.register(s.server, READ | WRITE | HANGUP, Trigger.LEVEL, T);
            }
            int r;
            r = check("idle", b -> (b & WRITE) != 0);
            assertEquals(WRITE, r);

            s.send(s.client, 1000);
            r = check("data arrived", b -> (b & READ) != 0);
            assertEquals(READ | WRITE, r);

            assertEquals(100, s.recv(s.server, 100));
            r = check("partly read", b -> true);
            assertEquals(READ | WRITE, r);

            assertEquals(900, s.recv(s.server, 100_000));
            r = check("fully read", b -> (b & READ) == 0);
            assertEquals(WRITE, r);

            long sent = s.fill(s.server);
            assertTrue(sent > 0);
            r = check("send buffer full", b -> (b & WRITE) == 0);
            assertEquals(0, r);

            // The peer reads every byte sent (data still in flight included), so that its close
            // below is a clean FIN and not a reset for unread data.
            long got = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got < sent && System.nanoTime() < deadline) {
                long n = s.recv(s.client, 1 << 20);
                if (n > 0) got += n;
                else Thread.onSpinWait();
            }
            assertEquals(sent, got);
            r = check("peer drained", b -> (b & WRITE) != 0);
            assertEquals(WRITE, r);

            s.send(s.client, 5);
            s.closeClient();
            r = check("peer sent 5 bytes and closed", b -> (b & READ) != 0 && (b & HANGUP) != 0);
            assertEquals(READ | WRITE, r & (READ | WRITE));

            assertEquals(5, s.recv(s.server, 100));
            r = check("remaining data read", b -> true);
            assertEquals(READ, r & READ, "end of stream is readable");

            assertEquals(0, s.recv(s.server, 100));
            for (Poller p : pollers.values()) p.deregister(s.server);
        } finally {
            for (Poller p : pollers.values()) p.close();
            System.out.println("differential " + pollers.keySet() + ":\n  " + String.join("\n  ", log));
        }
        assertEquals(before, FdCount.now());
    }
}
