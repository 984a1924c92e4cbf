package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.Kqueue;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.Poll;
import io.github.ffmreactor.sys.Select;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Backend choice, like Python's selectors.DefaultSelector: the best the OS has (epoll > kqueue >
 * poll > select), or the one asked for by name. On Windows, {@code select} is Winsock's.
 */
final class Pollers {
    private Pollers() {}

    /** Every backend name this project knows, best first. */
    static final List<String> KNOWN = List.of("epoll", "kqueue", "poll", "select");

    /** The backends this OS offers, best first. */
    static List<String> available() {
        List<String> r = new ArrayList<>(4);
        if (Epoll.available()) r.add("epoll");
        if (Kqueue.available()) r.add("kqueue");
        if (Poll.available()) r.add("poll");
        if (Select.FLAVOUR.available()) r.add("select");
        return List.copyOf(r);
    }

    static Poller open(String backend, int eventCapacity) throws NativeException {
        String b = backend == null ? "auto" : backend.trim().toLowerCase(Locale.ROOT);
        List<String> avail = available();
        if (b.equals("auto")) {
            // kqueue under an emulation (Kqueue.EMULATED) is a test aid, never the default.
            List<String> candidates = Kqueue.EMULATED ? avail.stream().filter(n -> !n.equals("kqueue")).toList() : avail;
            if (candidates.isEmpty()) throw new UnsupportedOperationException("no poller backend available on " + osName());
            b = candidates.get(0);
        }
        if (!KNOWN.contains(b)) {
            throw new IllegalArgumentException("unknown backend '" + backend + "' (known: auto, "
                    + String.join(", ", KNOWN) + "; available on " + osName() + ": " + avail + ")");
        }
        if (!avail.contains(b)) {
            throw new IllegalArgumentException("backend '" + b + "' is not available on " + osName()
                    + "; available: " + avail);
        }
        return switch (b) {
            case "epoll" -> new EpollPoller(eventCapacity);
            case "kqueue" -> new KqueuePoller(eventCapacity);
            case "poll" -> new PollPoller();
            case "select" -> switch (Select.FLAVOUR) {
                case POSIX -> new SelectPoller();
                case WINSOCK -> new WinSelectPoller();
            };
            default -> throw new IllegalStateException(b);
        };
    }

    private static String osName() {
        return System.getProperty("os.name", "this OS") + " (" + Platform.ARCH + ")";
    }
}
