package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.poll.Poller;

/**
 * The one path between a channel and its engine. {@link #attach} gives a channel (which owns its
 * fd) a slot and has the engine watch it; on any failure it undoes both and closes the fd, so
 * accept, listen, connect, datagrams and hand-offs share one undo and nothing is left for a later
 * close to trip over. {@link #release} is the one way back. Loop thread only.
 */
final class Registry {
    private final EventLoop loop;
    private final Slots slots = new Slots();
    private Engine engine;
    /** Open connections (not listeners, datagrams or connects in progress). */
    int open;

    Registry(EventLoop loop) {
        this.loop = loop;
    }

    /** The engine, once made (it is made with this registry). */
    void bind(Engine e) {
        engine = e;
        slots.limit(e.maxSlots(), e.name());
    }

    long token(Channel c) {
        return slots.token(c);
    }

    /** The live channel an event's token names, or null for a stale event. */
    Channel lookup(long token) {
        return slots.lookup(token);
    }

    /** A closed channel whose requests are still in flight (a completion engine's), or null. */
    Channel retiredChannel(long token) {
        return slots.retired(token);
    }

    void retire(Channel c) {
        slots.retire(c);
    }

    void freeSlot(Channel c) {
        slots.free(c);
    }

    /** The channels registered now (a copy). */
    Channel[] channels() {
        return slots.snapshot();
    }

    /** A copy of the channels closed whose slot a completion engine has not released yet. */
    Channel[] retiredChannels() {
        return slots.retiredSnapshot();
    }

    /**
     * Puts {@code c} in a slot and has the engine watch its fd. On any failure both are undone, the
     * fd is closed (it was handed over) and the failure is rethrown.
     */
    void attach(Channel c, int interest) throws NativeException {
        try {
            slots.allocate(c);
            engine.attach(c, interest);
        } catch (NativeException | RuntimeException e) {
            int fd = c.fd;
            c.fd = -1;
            slots.free(c);
            Fds.closeQuietly(fd);
            c.released();
            throw e;
        }
        c.interest = interest;
    }

    /** Closes {@code c}'s fd (exactly once) and frees its slot: at once, or when its engine is done with them. */
    void release(Channel c) {
        engine.release(c);
        if (c instanceof Connection) {
            open--;
            loop.accepting.connectionClosed();
        }
    }

    /** Takes {@code c} off its engine and frees its slot, keeping the fd open; returns the fd, now the caller's. */
    int detach(Channel c) {
        int fd = c.fd;
        c.fd = -1;
        engine.detach(c, fd);
        slots.free(c);
        return fd;
    }

    /** Serves a connected stream fd (now ours) with {@code handler}; on failure the fd is closed. */
    Connection adopt(int fd, Trigger trigger, Handler handler) throws NativeException {
        if (!engine.capabilities().supports(trigger)) {
            Fds.closeQuietly(fd); // the fd was handed over: a refusal must not leak it
            throw unsupported(trigger);
        }
        Connection c = new Connection(loop, fd, trigger, handler);
        attach(c, c.stream.wantedInterest());
        open++;
        try {
            handler.onOpen(c);
        } catch (Throwable t) {
            loop.failures.fail(c, t);
        }
        return c;
    }

    @FunctionalInterface
    interface ListenerFactory {
        Listener make(int fd) throws NativeException;
    }

    /** Wraps a listening fd (now ours) with {@code make} and registers it; on failure the fd is closed. */
    Listener attachListener(int fd, ListenerFactory make) throws NativeException {
        Listener l;
        try {
            l = make.make(fd);
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
        attach(l, Poller.READ);
        return l;
    }

    void checkTrigger(Trigger trigger) {
        if (!engine.capabilities().supports(trigger)) throw unsupported(trigger);
    }

    private IllegalArgumentException unsupported(Trigger trigger) {
        return new IllegalArgumentException("backend " + engine.name() + " does not support " + trigger + " triggering");
    }
}
