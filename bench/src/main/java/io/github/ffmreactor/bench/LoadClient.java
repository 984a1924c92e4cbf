package io.github.ffmreactor.bench;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.LoopStats;
import io.github.ffmreactor.loop.WaitStrategy;
import io.github.ffmreactor.Trigger;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The load generator: echo clients on ffmreactor's own event loops (edge-triggered), each
 * connection keeping {@code depth} messages of {@code size} bytes in flight. Every echoed byte is
 * compared, as it arrives, with the deterministic pattern the connection sent; every message's
 * round trip time goes into the loop's HdrHistogram. Nothing is allocated per message.
 *
 * <p>Connection {@code k}'s byte stream is {@code pattern[(pos + k * 7919) mod PERIOD]}: a prime
 * period, so no message size lines up with it and a byte delivered to the wrong place or the wrong
 * connection is caught.
 */
final class LoadClient implements AutoCloseable {
    static final int PERIOD = 65521;
    static final long MAX_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(10);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final VarHandle COMPLETED;

    static {
        try {
            COMPLETED = MethodHandles.lookup().findVarHandle(Worker.class, "completed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int connections, size, depth;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pattern;
    private final Worker[] workers;
    private final List<Conn> conns = new ArrayList<>();
    private volatile boolean closing;
    private volatile String firstError;
    private volatile long errors;

    /** One loop's share: its connections' counters and latency histogram, touched by that loop only. */
    static final class Worker {
        final EventLoop loop;
        final Histogram histogram = new Histogram(1, MAX_LATENCY_NANOS, 3);
        @SuppressWarnings("unused") long completed; // written by the loop (release), read by anyone
        volatile long signalAt = Long.MAX_VALUE;
        volatile Thread waiter;
        LongSupplier allocated = () -> 0;

        Worker(EventLoop loop) {
            this.loop = loop;
        }

        void completed(long n) {
            long c = (long) COMPLETED.getOpaque(this) + n;
            COMPLETED.setRelease(this, c);
            if (c >= signalAt) {
                Thread w = waiter;
                if (w != null) LockSupport.unpark(w);
            }
        }

        long completedNow() {
            return (long) COMPLETED.getAcquire(this);
        }
    }

    /** One connection: where its streams are, and when each in-flight message was sent. */
    final class Conn implements Handler {
        final Worker w;
        final long offset;
        final long[] sentAt;
        Connection c;
        long sentMessages, doneMessages, recvPos;

        Conn(Worker w, int index) {
            this.w = w;
            this.offset = (long) index * 7919;
            this.sentAt = new long[depth];
        }

        void begin() {
            send(depth, System.nanoTime());
        }

        private void send(long n, long now) {
            long pos = sentMessages * size;
            int start = (int) ((pos + offset) % PERIOD);
            for (long m = sentMessages; m < sentMessages + n; m++) sentAt[(int) (m % depth)] = now;
            sentMessages += n;
            c.write(pattern, start, n * size);
        }

        @Override
        public void onOpen(Connection c) {
            this.c = c;
        }

        @Override
        public void onData(Connection c, MemorySegment buf, int len) {
            long now = System.nanoTime();
            int start = (int) ((recvPos + offset) % PERIOD);
            long bad = MemorySegment.mismatch(buf, 0, len, pattern, start, start + len);
            if (bad >= 0) {
                fail("connection " + offset / 7919 + ": echoed byte " + (recvPos + bad) + " is "
                        + buf.get(ValueLayout.JAVA_BYTE, bad) + ", expected "
                        + pattern.get(ValueLayout.JAVA_BYTE, start + bad));
                c.close();
                return;
            }
            recvPos += len;
            long done = recvPos / size;
            long n = done - doneMessages;
            if (n == 0) return;
            Histogram h = w.histogram;
            for (long m = doneMessages; m < done; m++) {
                long lat = now - sentAt[(int) (m % depth)];
                h.recordValue(lat < 1 ? 1 : Math.min(lat, MAX_LATENCY_NANOS));
            }
            doneMessages = done;
            w.completed(n);
            if (!closing) send(n, now);
        }

        @Override
        public void onInputClosed(Connection c) {
            if (!closing) fail("connection " + offset / 7919 + ": the server closed it");
            c.close();
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            if (!closing) fail("connection " + offset / 7919 + " closed" + (cause == null ? "" : ": " + cause));
        }
    }

    private synchronized void fail(String what) { // loops of several workers may fail at once
        errors++;
        if (firstError == null) firstError = what;
    }

    /** Connects {@code connections} sockets to {@code address} and starts the echo traffic. */
    LoadClient(InetSocketAddress address, int connections, int size, int depth, int loops) throws Exception {
        this(address, connections, size, depth, loops, WaitStrategy.BLOCK);
    }

    /**
     * As above, with the client loops waiting by {@code wait}: a spinning client takes its own
     * wake-up out of every round trip, so what remains of the latency is the server's and the
     * kernel's (what a low-latency deployment that spins on both ends sees).
     */
    LoadClient(InetSocketAddress address, int connections, int size, int depth, int loops, WaitStrategy wait)
            throws Exception {
        if (connections < 1 || size < 1 || depth < 1 || loops < 1) throw new IllegalArgumentException("need positive counts");
        this.connections = connections;
        this.size = size;
        this.depth = depth;
        // Any window [x, x + len) with x < PERIOD is contiguous: len is at most a read buffer's
        // worth (what one read returns) or a batch of depth messages (what one write sends).
        LoopOptions opts = LoopOptions.defaults().withBackend(Backend.AUTO).withWait(wait);
        long len = PERIOD + Math.max(opts.readBufferSize(), (long) size * depth) + 64;
        pattern = arena.allocate(len, 64);
        long x = 0x9E3779B97F4A7C15L;
        for (long i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
            pattern.set(ValueLayout.JAVA_BYTE, i, (byte) (i < PERIOD ? x : pattern.get(ValueLayout.JAVA_BYTE, i - PERIOD)));
        }
        workers = new Worker[loops];
        try {
            for (int i = 0; i < loops; i++) {
                EventLoop l = EventLoop.open(opts);
                workers[i] = new Worker(l);
                l.onError((c, t) -> fail("client loop: " + t));
            }
            Trigger trigger = edgeOrLevel(workers[0].loop.backend());
            for (int i = 0; i < loops; i++) {
                workers[i].allocated = ServerMain.allocatedBytes(workers[i].loop.start("load-" + i));
            }
            List<CompletableFuture<Connection>> connecting = new ArrayList<>();
            for (int k = 0; k < connections; k++) {
                Worker w = workers[k % loops];
                Conn conn = new Conn(w, k);
                conns.add(conn);
                connecting.add(w.loop.connect(address, trigger, conn, CONNECT_TIMEOUT));
            }
            awaitConnected(connecting, address);
            for (Conn c : conns) c.w.loop.execute(c::begin);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /**
     * The loop's own connects (TCP_NODELAY set, each under its own timeout), so the load tool runs
     * on whatever backend the OS offers: epoll on Linux, kqueue on macOS. Edge-triggered where the
     * backend can (epoll, kqueue), else level (poll, select).
     */
    static Trigger edgeOrLevel(Backend backend) {
        return backend == Backend.EPOLL || backend == Backend.KQUEUE ? Trigger.EDGE : Trigger.LEVEL;
    }

    /** Waits for every connect; the first failure (e.g. {@code connect: ECONNREFUSED ...}) is thrown. */
    private static void awaitConnected(List<CompletableFuture<Connection>> connecting, InetSocketAddress address)
            throws Exception {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(5);
        for (CompletableFuture<Connection> f : connecting) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) throw cause;
                throw e;
            } catch (TimeoutException e) {
                throw new IOException("connect to " + address + ": not done after "
                        + CONNECT_TIMEOUT.toSeconds() + " s", e);
            }
        }
    }

    int loops() {
        return workers.length;
    }

    /** Round trips completed since the start, all loops. */
    long completed() {
        long s = 0;
        for (Worker w : workers) s += w.completedNow();
        return s;
    }

    long errors() {
        return errors;
    }

    String firstError() {
        return firstError;
    }

    /** Clears every loop's latency histogram (on each loop, between two messages). */
    void resetLatency() throws Exception {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (Worker w : workers) fs.add(CompletableFuture.runAsync(w.histogram::reset, w.loop));
        for (CompletableFuture<Void> f : fs) f.get(10, TimeUnit.SECONDS);
    }

    /** A copy of all loops' latencies since the last reset. */
    Histogram latency() throws Exception {
        Histogram all = new Histogram(1, MAX_LATENCY_NANOS, 3);
        for (Worker w : workers) {
            all.add(CompletableFuture.supplyAsync(w.histogram::copy, w.loop).get(10, TimeUnit.SECONDS));
        }
        return all;
    }

    /** The client loops' counters, summed. */
    LoopStats loopStats() {
        LoopStats sum = workers[0].loop.stats();
        for (int i = 1; i < workers.length; i++) sum = sum.plus(workers[i].loop.stats());
        return sum;
    }

    /** The client loops' counters, and the bytes their threads allocated ("alloc"), summed. */
    Map<String, Long> counters() {
        Map<String, Long> m = Measurement.counters(loopStats());
        long a = 0;
        for (Worker w : workers) a += w.allocated.getAsLong();
        m.put("alloc", a);
        return m;
    }

    /**
     * Waits until {@code target} round trips are done in all (single-loop clients: woken by the loop
     * when it gets there; otherwise polled every 100 µs). False on timeout or failure.
     */
    boolean awaitCompleted(long target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Worker only = workers.length == 1 ? workers[0] : null;
        if (only != null) {
            only.waiter = Thread.currentThread();
            only.signalAt = target;
        }
        try {
            while (completed() < target) {
                if (errors > 0 || System.nanoTime() > deadline) return false;
                LockSupport.parkNanos(only != null ? 1_000_000 : 100_000);
            }
            return true;
        } finally {
            if (only != null) {
                only.signalAt = Long.MAX_VALUE;
                only.waiter = null;
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        if (workers != null) {
            for (Worker w : workers) if (w != null) w.loop.close();
        }
        arena.close();
    }
}
