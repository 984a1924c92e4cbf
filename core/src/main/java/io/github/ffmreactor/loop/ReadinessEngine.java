package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.poll.Capabilities;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.poll.PollerStats;

/**
 * The readiness engine: a {@link Poller} says which fds are ready, {@link Registry} finds their
 * channels, which then read, write and accept themselves; edge-triggered connections whose read
 * budget ran out are {@link Carried} to the next turn, and connections that deferred their flush
 * are written before the wait ({@link PendingFlushes}). Registration is the poller's; closing
 * releases at once.
 */
final class ReadinessEngine implements Engine {
    private final Poller poller;
    private final EventLoop loop;
    private final Registry registry;
    private final Carried carried;
    private final Counters counters;
    private final PendingFlushes flushes = new PendingFlushes();

    /**
     * A socket error the event itself carries (kqueue: fflags, Poller#error) rides in a channel's
     * ready bits above the Poller's, so a channel needs no SO_ERROR that a kqueue may already have
     * consumed (libkqueue does; macOS leaves it set).
     */
    private static final int ERRNO_SHIFT = 16;

    /** The errno carried in {@code ready}, 0 if none (then getsockopt(SO_ERROR) tells). */
    static int errno(int ready) {
        return ready >>> ERRNO_SHIFT;
    }

    ReadinessEngine(EventLoop loop, Poller poller, Registry registry, Carried carried, Counters counters) {
        this.loop = loop;
        this.poller = poller;
        this.registry = registry;
        this.carried = carried;
        this.counters = counters;
    }

    @Override
    public String name() {
        return poller.name();
    }

    @Override
    public Capabilities capabilities() {
        return poller.capabilities();
    }

    @Override
    public String datagramRefusal() {
        return null;
    }

    @Override
    public EngineStream stream(Connection c) {
        return new ReadinessStream(c, flushes);
    }

    @Override
    public void attach(Channel c, int interest) throws NativeException {
        poller.register(c.fd, interest, c.watchTrigger(), registry.token(c));
    }

    @Override
    public void interest(Channel c, int interest) throws NativeException {
        poller.modify(c.fd, interest, c.watchTrigger(), registry.token(c));
    }

    @Override
    public void connect(Connector k, Connector.Target target) throws NativeException {
        k.fd = target.openAndConnect();
        // Writability means the handshake finished one way or the other; level-triggered whatever
        // the connection will use later.
        registry.attach(k, Poller.WRITE);
    }

    @Override
    public void detach(Channel c, int fd) {
        try {
            poller.deregister(fd);
        } catch (NativeException | RuntimeException ignored) {
            // Not registered any more (or the poller refused): what matters is what the caller does next.
        }
    }

    @Override
    public void release(Channel c) {
        Fds.closeQuietly(registry.detach(c));
    }

    @Override
    public void prepare() {
        // What deferred connections queued this turn: one write each, as io_uring submits its
        // SENDs here. Immediate writes went out (or were queued for writability) when made.
        if (!flushes.isEmpty()) flushes.run(loop.failures);
    }

    @Override
    public int await(int timeoutMillis) throws NativeException {
        // Do not sleep on work prepare() left: a flush stopped by its quantum, or answered by an
        // onDrained with more writes, listed again; a flush that resumed reading from a paused
        // connection carried its read (under edge triggering, input that came while paused
        // raises no new event: sleeping here could wait for ever).
        return poller.poll(flushes.isEmpty() && carried.isEmpty() ? timeoutMillis : 0);
    }

    @Override
    public int deliver(int n) {
        for (int i = 0; i < n; i++) {
            Channel c = registry.lookup(poller.token(i));
            if (c == null) {
                counters.stale();
                continue;
            }
            try {
                int r = poller.ready(i);
                if ((r & Poller.ERROR) != 0) r |= poller.error(i) << ERRNO_SHIFT;
                c.ready(r);
            } catch (Throwable t) {
                loop.failures.fail(c, t);
            }
        }
        return n + carried.run(loop.failures);
    }

    @Override
    public boolean hasCarried() {
        // Not the pending flushes: prepare() writes them before this turn's wait.
        return !carried.isEmpty();
    }

    @Override
    public void wakeup() {
        poller.wakeup();
    }

    @Override
    public PollerStats stats() {
        return poller.stats();
    }

    @Override
    public void close() {
        poller.close();
    }
}
