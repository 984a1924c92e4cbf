package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.KvHostile;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.ServerProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20's hostile clients against {@code kv} run as its own process, as a user runs it, on
 * every engine this machine has: a 40,000-argument MGET trickled 20 arguments per packet, 20
 * clients that GET a 16 MiB value and never read, and {@code *1048576} then one {@code $1 x} per
 * packet. A second connection PINGs every millisecond throughout ({@link KvHostile}); the worst
 * answer must stay under {@link #WORST_PING_MS}, and the 20 non-readers may grow the server's RSS
 * by 64 MiB at most. The figures are printed ({@code [hostile]} lines).
 *
 * <p>The target is 10 ms; the assertion allows {@value #WORST_PING_MS} ms, and a case over
 * it runs once more on the same server, because a 2-core machine shared with builds delays any
 * thread (client or server) by tens of ms now and then, whatever the server does (redis-server
 * measured the same way on such a machine: 25-210 ms). What fails it: a stall of the loop, such
 * as the 437 ms of a cold 40,000-key MGET, twice in a row.
 */
@Timeout(300)
@EnabledOnOs(OS.LINUX)
class KvHostileBoundsTest {
    /** The bound asserted on the worst PING of a case (see the class comment). */
    static final double WORST_PING_MS = 200;
    static final long GROWTH_MIB = 64;

    static List<Arguments> engines() {
        List<Arguments> r = new ArrayList<>();
        for (String b : Backends.loops()) r.add(Arguments.of(b, "level"));
        if (Backends.loops().contains("epoll")) r.add(Arguments.of("epoll", "edge"));
        return r;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void everyCaseKeepsOthersServedAndMemoryBounded(String backend, String trigger) throws Exception {
        try (ServerProcess kv = ServerProcess.start("kv", "--port", "0", "--backend", backend, "--trigger", trigger, "--warmup", "2s")) {
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), kv.port());
            List<String> misses = new ArrayList<>();
            for (String name : KvHostile.CASES) {
                KvHostile.Result r = KvHostile.run(name, at, kv.pid());
                System.out.printf("[hostile] kv %s %s: %s%n", backend, trigger, r);
                if (r.worstMs() > WORST_PING_MS) { // a neighbour's load, or kv: once more decides
                    r = KvHostile.run(name, at, kv.pid());
                    System.out.printf("[hostile] kv %s %s: again: %s%n", backend, trigger, r);
                }
                if (r.worstMs() > WORST_PING_MS) misses.add(name + ": worst PING " + r.worstMs() + " ms");
                if (name.equals("bigget") && r.growthMiB() > GROWTH_MIB) misses.add(name + ": RSS grew " + r.growthMiB() + " MiB");
            }
            assertTrue(misses.isEmpty(), backend + " " + trigger + ": " + misses);
            assertTrue(kv.alive(), kv.output());
            int code = kv.stop();
            assertTrue(code == 0 || code == 143, code + "\n" + kv.output()); // 143: the JVM's report of a SIGTERM stop
        }
    }
}
