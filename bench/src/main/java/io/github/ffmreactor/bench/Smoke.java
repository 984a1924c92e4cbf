package io.github.ffmreactor.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code smoke}: every available server, briefly, under the load tool with every echoed byte
 * checked, through a small and a large message. Fails (exit 1) on any mismatch, error or silence.
 * For CI: a broken server or a broken load tool shows up here, in seconds.
 */
final class Smoke {
    private Smoke() {}

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("duration", "servers"));
        Duration d = o.duration("duration", Duration.ofMillis(500));
        List<String> servers = o.has("servers") ? List.of(o.get("servers", "").split(",")) : Servers.available();
        for (String s : Servers.ALL) {
            String why = Servers.unavailableReason(s);
            if (why != null) System.out.println("smoke: " + why);
        }
        List<String> failed = new ArrayList<>();
        for (String impl : servers) {
            try (ServerProcess sp = ServerProcess.start(impl)) {
                InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), sp.port);
                for (int[] cell : new int[][] {{4, 64, 4}, {2, 100_000, 2}}) {
                    Measurement m = cell(impl, addr, sp, cell, d);
                    if (m.errors() == 1 && m.roundTrips() <= 1) {
                        // Nothing came back within the window and no byte was wrong: a stall (seen with
                        // the spinning Netty server on 2 loaded cores), not a lost byte. Once more, for
                        // longer: bytes that never come back fail it again.
                        System.out.println("smoke " + impl + " " + m.cell() + ": no round trip in " + d.toMillis()
                                + " ms; once more for 2 s");
                        m = cell(impl, addr, sp, cell, Duration.ofSeconds(2));
                    }
                    System.out.println("smoke " + impl + " " + m.cell() + ": " + (m.errors() == 0 ? "ok" : "FAILED") + ", "
                            + String.format(Locale.ROOT, "%,.0f rt/s, %,d bytes checked", m.roundTripsPerSecond(),
                            (long) cell[1] * m.roundTrips()));
                    if (m.errors() != 0) failed.add(impl + " " + m.cell());
                }
            } catch (Exception e) {
                System.out.println("smoke " + impl + ": FAILED: " + e);
                failed.add(impl);
            }
        }
        if (!failed.isEmpty()) {
            System.out.println("smoke: FAILED: " + failed);
            return 1;
        }
        System.out.println("smoke: all " + servers.size() + " servers echoed every byte");
        return 0;
    }

    /** One cell ({connections, size, depth}) under the load client for {@code d}, after 100 ms of warm-up. */
    private static Measurement cell(String impl, InetSocketAddress addr, ServerProcess sp, int[] cell, Duration d)
            throws Exception {
        var s = new LoadMain.Settings(cell[0], cell[1], cell[2], 1, Duration.ofMillis(100), d);
        return LoadMain.run(impl, addr, sp.pid, sp, s, new PrintStream(OutputStream.nullOutputStream()));
    }
}
