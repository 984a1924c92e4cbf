package io.github.ffmreactor.bench;

import io.github.ffmreactor.poll.Poller;
import java.util.ArrayList;
import java.util.List;

/** The echo servers under test, by name. */
final class Servers {
    private Servers() {}

    /** Every implementation the bench knows, in report order. */
    static final List<String> ALL = List.of("c-epoll", "ffm-edge", "ffm-level", "ffm-poll", "ffm-select",
            "nio", "netty-epoll", "netty-nio", "vthreads");

    /** Those that can run here: ffmreactor backends the OS offers, netty-epoll on Linux, C if gcc exists. */
    static List<String> available() {
        List<String> r = new ArrayList<>();
        List<String> backends = Poller.available();
        for (String s : ALL) {
            switch (s) {
                case "c-epoll" -> { if (CServer.gccPath() != null && backends.contains("epoll")) r.add(s); }
                case "ffm-edge", "ffm-level" -> { if (backends.contains("epoll")) r.add(s); }
                case "ffm-poll" -> { if (backends.contains("poll")) r.add(s); }
                case "ffm-select" -> { if (backends.contains("select")) r.add(s); }
                case "netty-epoll" -> { if (backends.contains("epoll")) r.add(s); }
                default -> r.add(s);
            }
        }
        return r;
    }

    /** Why {@code impl} cannot run here, or null if it can. */
    static String unavailableReason(String impl) {
        if (!ALL.contains(impl)) return "unknown server '" + impl + "' (known: " + String.join(", ", ALL) + ")";
        if (available().contains(impl)) return null;
        if (impl.equals("c-epoll") && CServer.gccPath() == null) return "c-epoll skipped: no gcc on PATH to build bench/src/main/c/echo_epoll.c";
        return impl + " skipped: backend not available on this OS (available: " + Poller.available() + ")";
    }

    static boolean isFfm(String impl) {
        return impl.startsWith("ffm-");
    }
}
