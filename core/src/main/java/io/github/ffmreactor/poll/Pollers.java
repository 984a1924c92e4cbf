package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.NativeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Backend choice: the best the OS has (epoll > kqueue > poll > select), or the one asked for. */
final class Pollers {
    private Pollers() {}

    /** The backends this OS offers, best first. */
    static List<String> available() {
        List<String> r = new ArrayList<>();
        if (Epoll.available()) r.add("epoll");
        return r;
    }

    static Poller open(String backend) throws NativeException {
        String b = backend == null ? "auto" : backend.trim().toLowerCase(Locale.ROOT);
        List<String> avail = available();
        if (b.equals("auto")) {
            if (avail.isEmpty()) throw new UnsupportedOperationException("no poller backend available on this OS");
            b = avail.get(0);
        }
        if (!avail.contains(b)) {
            throw new IllegalArgumentException("backend '" + backend + "' is not available on this OS; available: " + avail);
        }
        return switch (b) {
            case "epoll" -> new EpollPoller();
            default -> throw new IllegalArgumentException("unknown backend '" + backend + "'");
        };
    }
}
