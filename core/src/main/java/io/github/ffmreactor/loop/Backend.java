package io.github.ffmreactor.loop;

import io.github.ffmreactor.poll.Poller;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The kernel API a loop waits on. {@link #AUTO} takes the best this OS has (epoll &gt; kqueue &gt;
 * poll &gt; select). This enum is the one place a backend's name is mapped to a backend: the
 * {@code ffmreactor.backend} system property, every server's {@code --backend NAME} and
 * {@link LoopOptions} all go through {@link #parse(String)}.
 */
public enum Backend {
    /** The best backend this OS offers. */
    AUTO("auto"),
    /** Linux epoll. */
    EPOLL("epoll"),
    /** BSD and macOS kqueue. */
    KQUEUE("kqueue"),
    /** POSIX poll: every Unix, level triggering only. */
    POLL("poll"),
    /** select: everywhere (Winsock's on Windows), fds below FD_SETSIZE, level triggering only. */
    SELECT("select"),
    /**
     * Linux io_uring: a completion engine for TCP and Unix stream sockets (listeners, connections,
     * outgoing connects); not UDP, which stays on epoll ({@code openDatagram} refuses). Never
     * {@link #AUTO}'s choice; where the kernel or a sandbox does not allow io_uring, opening a loop
     * on it is an {@link IllegalArgumentException} giving the reason.
     */
    IO_URING("io_uring");

    /** The system property that picks the default backend, e.g. {@code -Dffmreactor.backend=poll}. */
    public static final String PROPERTY = "ffmreactor.backend";

    private final String id;

    Backend(String id) {
        this.id = id;
    }

    /** {@return the backend's name as users write it, e.g. {@code epoll} or {@code io_uring}} */
    public String id() {
        return id;
    }

    /** {@return {@link #id()}} */
    @Override
    public String toString() {
        return id;
    }

    /**
     * The backend a name stands for, ignoring case and surrounding blanks.
     *
     * @param name e.g. {@code epoll}, {@code auto}, {@code io_uring}
     * @return the backend
     * @throws IllegalArgumentException naming the valid names if {@code name} is none of them
     */
    public static Backend parse(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (Backend b : values()) if (b.id.equals(n)) return b;
        throw new IllegalArgumentException("unknown backend '" + name + "' (valid: " + names() + ")");
    }

    /** {@return every name {@link #parse(String)} takes, joined with {@code ", "}} */
    public static String names() {
        return String.join(", ", ids());
    }

    /** {@return every backend's name, in declaration order} */
    public static List<String> ids() {
        List<String> r = new ArrayList<>();
        for (Backend b : values()) r.add(b.id);
        return List.copyOf(r);
    }

    /** {@return the backend {@code -Dffmreactor.backend} names, {@link #AUTO} if it is not set} */
    public static Backend fromProperty() {
        return parse(System.getProperty(PROPERTY, "auto"));
    }

    /**
     * The backends this OS offers, best first, e.g. {@code [epoll, poll, select]} on Linux (never
     * {@link #AUTO}).
     *
     * @return the backends a loop can open here
     */
    public static List<Backend> available() {
        List<Backend> r = new ArrayList<>();
        for (String p : Poller.available()) r.add(parse(p));
        // io_uring where this kernel lets us open a ring; never auto's choice (auto keeps epoll).
        if (UringEngine.usable()) r.add(IO_URING);
        return List.copyOf(r);
    }

    /** The name the poll layer knows this backend by (io_uring is not a poller: EventLoop opens its engine). */
    String pollerName() {
        return id;
    }
}
