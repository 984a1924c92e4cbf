package io.github.ffmreactor.poll;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import java.util.List;

/**
 * A readiness poller over one kernel API: register fds with an interest, a trigger and a
 * {@code long} token; poll into a reusable events buffer; read each event's token and readiness
 * by index. Nothing is allocated per poll or per event.
 *
 * <p>A poller belongs to one thread, except {@link #wakeup()}, which any thread may call.
 */
public interface Poller extends AutoCloseable {
    /** Interest and readiness bits. */
    int READ = 1, WRITE = 2, HANGUP = 4, ERROR = 8;

    /** The system property that forces a backend: {@code auto}, {@code epoll}, {@code kqueue}, {@code poll}, {@code select}. */
    String BACKEND_PROPERTY = "ffmreactor.backend";

    /** The backend's name, e.g. {@code epoll}. */
    String name();

    Capabilities capabilities();

    /**
     * Watches {@code fd}. {@code interest} is a mix of {@link #READ}, {@link #WRITE} and
     * {@link #HANGUP}; the token comes back with every event of this fd. The token
     * {@code Long.MIN_VALUE} is reserved (it marks the poller's own wakeup event).
     *
     * @throws NativeException naming the call and errno (EBADF for a closed fd, EEXIST twice; ENOENT
     *         from modify or deregister of an fd not registered), the same on every backend
     * @throws IllegalArgumentException if the backend cannot carry the trigger or the fd, if the
     *         interest has other bits, or for the reserved token
     */
    void register(int fd, int interest, Trigger trigger, long token) throws NativeException;

    /** Changes what {@code fd} is watched for (and re-arms a one-shot registration). */
    void modify(int fd, int interest, Trigger trigger, long token) throws NativeException;

    /** Stops watching {@code fd}. Call it before closing the fd. */
    void deregister(int fd) throws NativeException;

    /**
     * Waits up to {@code timeoutMillis} (-1: forever, 0: do not wait) for events, retrying on EINTR,
     * and returns how many are ready. A {@link #wakeup()} ends the wait and is not reported as an event.
     */
    int poll(int timeoutMillis) throws NativeException;

    /** The token of event {@code i} of the last poll. */
    long token(int i);

    /** The readiness of event {@code i}: a mix of {@link #READ}, {@link #WRITE}, {@link #HANGUP}, {@link #ERROR}. */
    int ready(int i);

    /**
     * The socket error the kernel delivered with event {@code i}, or 0. kqueue delivers it (fflags
     * with {@code EV_EOF}, kqueue.2), and that copy is the one to use: a kqueue may have consumed
     * {@code SO_ERROR} to fill it (libkqueue does). Where the event carries none (epoll, poll,
     * select), 0: ask {@code getsockopt(SO_ERROR)}.
     */
    default int error(int i) {
        return 0;
    }

    /** Ends a current or the next {@link #poll} early. Safe from any thread. */
    void wakeup();

    /** Counters since open. */
    PollerStats stats();

    /** Closes the kernel object and frees the buffers. Idempotent. */
    @Override
    void close();

    /** The best backend for this OS, or the one named by {@value #BACKEND_PROPERTY}. */
    static Poller open() throws NativeException {
        return open(System.getProperty(BACKEND_PROPERTY, "auto"));
    }

    /** The backends this OS offers, best first, e.g. {@code [epoll, poll, select]}. */
    static List<String> available() {
        return Pollers.available();
    }

    /** The named backend ({@code auto} for the best); a clear error if this OS lacks it. */
    static Poller open(String backend) throws NativeException {
        return Pollers.open(backend, 1024);
    }

    /**
     * As {@link #open(String)}, taking at most {@code eventCapacity} events per poll where the
     * kernel fills an events array (epoll, kqueue); poll and select report every ready fd.
     */
    static Poller open(String backend, int eventCapacity) throws NativeException {
        if (eventCapacity < 1) throw new IllegalArgumentException("eventCapacity < 1: " + eventCapacity);
        return Pollers.open(backend, eventCapacity);
    }
}
