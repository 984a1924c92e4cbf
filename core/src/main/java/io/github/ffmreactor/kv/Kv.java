package io.github.ffmreactor.kv;

import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.LoopOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code kv} server: an in-memory key-value store speaking RESP2 and RESP3, enough of Redis
 * for redis-cli, redis-benchmark, Jedis, Lettuce and redis-py. Strings only; no persistence, no
 * replication. Give {@link #handler()} to a loop's (or a group's) {@code listen}, with
 * {@link #options} applied to its loop options, and call {@link #sweepOn} for one of the loops.
 *
 * <p>Every loop serves connections from the same {@link KvStore}; each command that touches it
 * holds its lock (taken once per read), so a command (and a transaction's EXEC) sees the whole store at once, while
 * parsing and replies (most of the work) run on all loops in parallel.
 */
public final class Kv {
    /** How often, and over how many slots, the expiry sweep runs. */
    static final long SWEEP_MILLIS = 100;
    static final int SWEEP_SLOTS = 4096;

    /** Per loop thread: the reply buffer, the scratch of a command call, and the counters. */
    static final class LoopState {
        final RespWriter out = new RespWriter();
        final Call call;
        long commands, errors, protocolErrors, outputLimitCloses;

        LoopState(Kv kv) {
            call = new Call(kv, this);
        }
    }

    private final KvConfig config;
    private final KvStore store = new KvStore();
    private final List<LoopState> states = new CopyOnWriteArrayList<>();
    private final ThreadLocal<LoopState> state = ThreadLocal.withInitial(() -> {
        LoopState s = new LoopState(this);
        states.add(s);
        return s;
    });
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong connections = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private volatile int port;

    public Kv(KvConfig config) {
        this.config = config;
    }

    KvConfig config() {
        return config;
    }

    KvStore store() {
        return store;
    }

    /** The calling loop thread's state. */
    LoopState state() {
        return state.get();
    }

    /** A new connection's handler. */
    public Handler handler() {
        return new Session(this);
    }

    /** The port INFO reports. */
    public void port(int p) {
        port = p;
    }

    int port() {
        return port;
    }

    long uptimeSeconds() {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }

    /** A new client: its CLIENT ID. */
    long opened() {
        clients.incrementAndGet();
        connections.incrementAndGet();
        return nextId.incrementAndGet();
    }

    void closed() {
        clients.decrementAndGet();
    }

    int clients() {
        return clients.get();
    }

    long connectionsReceived() {
        return connections.get();
    }

    /**
     * Loop options for this server: a client whose queued replies pass the output limit is closed
     * (reading from it pauses at the loop's threshold, as always).
     */
    public LoopOptions options(LoopOptions base) {
        return base.withLimits(Math.min(base.pauseReadingAbove(), config.outputBufferLimit()), config.outputBufferLimit());
    }

    /** Starts the expiry sweep on {@code loop}. */
    public void sweepOn(EventLoop loop) {
        loop.scheduleAtFixedRate(SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS, () -> {
            store.lock.lock();
            try {
                store.sweep(SWEEP_SLOTS);
            } finally {
                store.lock.unlock();
            }
        });
    }

    long totalCommands() {
        long n = 0;
        for (LoopState s : states) n += s.commands;
        return n;
    }

    /** The counters printed on stop. */
    public String counters() {
        long commands = 0, errors = 0, protocol = 0, limit = 0;
        for (LoopState s : states) {
            commands += s.commands;
            errors += s.errors;
            protocol += s.protocolErrors;
            limit += s.outputLimitCloses;
        }
        store.lock.lock();
        try {
            return "commands=" + commands + " errors=" + errors + " protocolErrors=" + protocol + " keys=" + store.size()
                    + " expired=" + store.expired() + " outputLimitCloses=" + limit;
        } finally {
            store.lock.unlock();
        }
    }
}
