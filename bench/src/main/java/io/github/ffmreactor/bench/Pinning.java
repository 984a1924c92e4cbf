package io.github.ffmreactor.bench;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code -Dffmreactor.bench.pin=S:C}: the echo server process on CPU {@code S} and the load
 * client's JVM (the JMH fork: its loop, the JMH thread, its JIT and GC) on CPU {@code C}, with
 * {@code taskset}. On a 2-core machine the two otherwise trade places on both cores every few
 * milliseconds, and the server's CPU per round trip moves with whatever it shared a core with;
 * pinned, each keeps a core to itself. {@code S == C} puts both on one CPU: then no byte and no
 * wake-up crosses between cores, and a virtual machine whose host moves its vCPUs between cores
 * that share a cache and cores that do not (seen here: a cache line's round trip between the two
 * vCPUs took 90 or 460 ns, switching every few seconds) no longer moves the server's CPU per
 * round trip with it. Off (the property unset or {@code no}) nothing is pinned.
 */
final class Pinning {
    private Pinning() {}

    static final String PROPERTY = "ffmreactor.bench.pin";

    /** The cores as {@code {server, client}}, or null when pinning is off; a malformed value fails. */
    static int[] cores(String v) {
        if (v == null || v.isBlank() || v.equals("no")) return null;
        String[] p = v.trim().split(":", -1);
        try {
            if (p.length == 2) {
                int s = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]);
                if (s >= 0 && c >= 0) return new int[] {s, c};
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(PROPERTY + " must be SERVER:CLIENT, two CPU numbers (1:0, or 0:0 for one CPU), or no; got '" + v + "'");
    }

    private static int[] configured() {
        return cores(System.getProperty(PROPERTY));
    }

    /** What goes before a server's command line: {@code taskset -c S}, or nothing. */
    static List<String> serverPrefix() {
        int[] c = configured();
        return c == null ? List.of() : List.of("taskset", "-c", Integer.toString(c[0]));
    }

    /** Pins every thread of this JVM (and those it starts later) to the client's CPU, if pinning is on. */
    static void pinClient() throws IOException, InterruptedException {
        int[] c = configured();
        if (c == null) return;
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", Integer.toString(c[1]),
                Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroy();
            throw new IOException("taskset could not pin the client to CPU " + c[1] + " (" + PROPERTY + ")");
        }
    }
}
