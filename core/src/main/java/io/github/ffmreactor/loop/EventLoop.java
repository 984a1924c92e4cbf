package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.poll.PollerStats;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * One thread's reactor: a poller, the channels registered on it ({@link Slots}), a task queue for
 * other threads, timers, and one read buffer shared by every connection.
 *
 * <p>Failures are contained: anything one channel causes (a handler that throws, an unexpected
 * errno on its fd, a registration the poller refuses) closes that channel, is reported once
 * through {@link #onError} and counted in {@link LoopStats#failures()}; the loop goes on. Only a
 * failure of the poller itself ends the loop, and then {@link #terminationCause()} says why.
 */
public final class EventLoop implements Executor, AutoCloseable {
    final LoopOptions options;
    final Poller poller;
    private final Arena arena = Arena.ofShared();
    final MemorySegment cs = Native.callState(arena);
    final MemorySegment readBuf;
    final MemorySegment intScratch = arena.allocate(ValueLayout.JAVA_INT);
    final Registry registry;
    private final Inbox inbox;
    final Carried carried = new Carried();
    // Connection.write(byte[] / ByteBuffer / heap segment) copies heap bytes here for write(2);
    // allocated on first use (native-notes/ffm.md, "Writing heap bytes").
    private MemorySegment stage;
    private java.nio.ByteBuffer stageView;

    private volatile boolean stopping;
    private volatile Thread thread;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile Throwable terminationCause;
    /** Run on the loop thread once it has closed everything (a group watching its loops). */
    volatile Runnable afterTermination;
    private boolean shuttingDown;
    private long shutdownDeadlineNanos;
    private volatile BiConsumer<Connection, Throwable> errorHandler = EventLoop::printError;
    final Clock clock;
    final Timers timers = new Timers();
    private final Spinning spinning;

    final Accepting accepting = new Accepting(this);
    private final Throttle waitErrors = new Throttle();
    private long waitBackoffMillis;

    // Counters: written by the loop thread only; read by anyone (a racy read is only stale).
    long reads, writes, eagains, accepts, bytesIn, bytesOut, staleEvents;
    long rejected, failures, acceptPauses;
    /** Output queued by every connection of this loop, against {@link LoopOptions#outputBudget()}. */
    long queuedOutput;
    int connecting;

    private EventLoop(LoopOptions options, Poller poller, Clock clock) {
        this.options = options;
        this.poller = poller;
        this.clock = clock;
        this.readBuf = arena.allocate(options.readBufferSize(), 64);
        this.spinning = new Spinning(options.waitStrategy());
        this.registry = new Registry(this, poller);
        this.inbox = new Inbox(poller);
    }

    /** The native staging buffer for heap writes (loop thread only). */
    MemorySegment stage() {
        if (stage == null) {
            stage = arena.allocate(Connection.STAGE_SIZE, 64);
            stageView = stage.asByteBuffer();
        }
        return stage;
    }

    /** {@link #stage()} as a ByteBuffer, for copying from a ByteBuffer without a wrapper object. */
    java.nio.ByteBuffer stageView() {
        stage();
        return stageView;
    }

    /** A loop on the best backend of this OS (or the one {@code ffmreactor.backend} names). */
    public static EventLoop open() throws NativeException {
        return open(LoopOptions.defaults());
    }

    public static EventLoop open(LoopOptions options) throws NativeException {
        return open(options, Clock.SYSTEM);
    }

    /** A loop whose timers read {@code clock} (a test clock, say). */
    public static EventLoop open(LoopOptions options, Clock clock) throws NativeException {
        return new EventLoop(options, Poller.open(options.backend(), options.eventCapacity()), clock);
    }

    /** The backends this OS offers, best first, e.g. {@code [epoll, poll, select]}. */
    public static java.util.List<String> backends() {
        return Poller.available();
    }

    public String backend() {
        return poller.name();
    }

    public LoopOptions options() {
        return options;
    }

    // ---- channels (registered through Registry, the one path onto the poller) -----------------

    /**
     * Takes ownership of a connected, non-blocking stream fd (a socket, a pipe end) and serves it
     * with {@code handler}. Loop thread only (or before the loop runs). On failure the fd is closed.
     */
    public Connection register(int fd, Trigger trigger, Handler handler) throws NativeException {
        checkInLoop();
        return registry.adopt(fd, trigger, handler);
    }

    /**
     * Listens on {@code address} (port 0: any free port) and serves each accepted connection with a
     * handler from {@code handlers}, under {@code trigger}. Bind errors (EADDRINUSE...) are thrown
     * here, to the caller, from any thread.
     */
    public Listener listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        return listen(address, trigger, handlers, false);
    }

    public Listener listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers,
                           boolean reusePort) throws NativeException {
        registry.checkTrigger(trigger);
        // The socket is made on the loop thread: if the loop never runs the call, nothing is left open.
        return callInLoop(() -> registry.attachListener(Tcp.listen(address, 1024, reusePort),
                fd -> new Listener(this, fd, trigger, handlers, Tcp.localAddress(fd))));
    }

    /**
     * Listens on a Unix domain stream socket at {@code path} (which must not exist); the listener
     * removes the file when it closes. As {@link #listen(InetSocketAddress, Trigger, Supplier)}.
     */
    public Listener listen(java.nio.file.Path path, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        registry.checkTrigger(trigger);
        return callInLoop(() -> registry.attachListener(io.github.ffmreactor.net.Unix.listen(path, 1024),
                fd -> new Listener(this, fd, trigger, handlers, path)));
    }

    /**
     * Connects to {@code address} without blocking; the future completes on the loop thread with a
     * connection served by {@code handler} (whose onOpen has run), or fails with the cause: a
     * {@link NativeException} such as {@code connect: ECONNREFUSED (Connection refused) to
     * /127.0.0.1:4242}, or a {@link java.net.SocketTimeoutException} after {@code timeout} (null:
     * no limit but the kernel's). Safe from any thread; on a terminated loop the future fails at once.
     */
    public CompletableFuture<Connection> connect(InetSocketAddress address, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        return Connector.connect(this, () -> Tcp.connect(address), true, address.toString(), trigger, handler, timeout);
    }

    /** Connects to a Unix domain stream socket at {@code path}; as {@link #connect(InetSocketAddress, Trigger, Handler, Duration)}. */
    public CompletableFuture<Connection> connect(java.nio.file.Path path, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        return Connector.connect(this, () -> io.github.ffmreactor.net.Unix.connect(path), false, path.toString(),
                trigger, handler, timeout);
    }

    /**
     * Opens a UDP socket bound to {@code address} (IPv4 or IPv6; port 0: any free port) and serves
     * it with {@code handler}. Safe from any thread; bind errors are thrown here.
     */
    public Datagram openDatagram(InetSocketAddress address, DatagramHandler handler) throws NativeException {
        return openDatagram(address, DatagramOptions.defaults(), handler);
    }

    /** As {@link #openDatagram(InetSocketAddress, DatagramHandler)}, with a receive buffer, batch size and datagram limit. */
    public Datagram openDatagram(InetSocketAddress address, DatagramOptions options, DatagramHandler handler)
            throws NativeException {
        return callInLoop(() -> Datagram.open(this, address, options, handler));
    }

    // ---- the loop --------------------------------------------------------------------------------

    /** Runs the loop on the calling thread until {@link #shutdown} or {@link #stop}, then closes it. */
    public void run() {
        claim(Thread.currentThread());
        loop();
    }

    /**
     * Starts the loop on a new platform thread. From the moment this returns, calls from other
     * threads (listen, connect, timers) go through the loop's queue, never inline.
     */
    public Thread start(String name) {
        Thread t = Thread.ofPlatform().name(name).unstarted(this::loop);
        claim(t);
        t.start();
        return t;
    }

    private synchronized void claim(Thread t) {
        if (thread != null) throw new IllegalStateException(inbox.isClosed() ? "loop is closed" : "loop is already running or has run");
        thread = t;
    }

    private void loop() {
        try {
            while (!stopping || shuttingDown) {
                if (shuttingDown && (registry.open == 0 || System.nanoTime() - shutdownDeadlineNanos >= 0)) break;
                turn();
            }
        } catch (Throwable t) {
            // Channels, timers and tasks are contained where they run: what gets here is the poller
            // failing (epoll_wait: EBADF...), and the loop cannot go on without it.
            terminationCause = t;
            report(null, t);
        } finally {
            closeAll();
            terminated.countDown();
            Runnable after = afterTermination;
            if (after != null) {
                try {
                    after.run();
                } catch (Throwable t) {
                    report(null, t);
                }
            }
        }
    }

    private void turn() throws NativeException {
        int timeout = -1;
        if (shuttingDown) {
            long ms = TimeUnit.NANOSECONDS.toMillis(shutdownDeadlineNanos - System.nanoTime());
            timeout = (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
        }
        if (!carried.isEmpty() || !inbox.isEmpty() || spinning.spin()) {
            // Spinning stays awake: another thread's execute() then sends no wakeup signal.
            timeout = 0;
        } else if (!inbox.sleep() || (stopping && !shuttingDown)) {
            timeout = 0;
        }
        int n;
        try {
            n = poller.poll(timerTimeout(timeout));
            waitBackoffMillis = 0;
        } catch (NativeException e) {
            inbox.awake();
            if (!rideOut(e)) throw e;
            n = 0;
        }
        inbox.awake();
        if (n > 0 || !carried.isEmpty()) spinning.active();
        for (int i = 0; i < n; i++) {
            Channel c = registry.lookup(poller.token(i));
            if (c == null) {
                staleEvents++;
                continue;
            }
            try {
                c.ready(poller.ready(i));
            } catch (Throwable t) {
                fail(c, t);
            }
        }
        carried.run(this);
        // Timers before tasks: a task queued after the clock moved sees the timers that were due.
        if (timers.size() > 0 && timers.runDue(clock, this) > 0) spinning.active();
        if (inbox.run(this) > 0) spinning.active();
    }

    /**
     * The wait failed. Out of kernel memory (ENOMEM, ENOBUFS: poll and kevent can say so) is a
     * state to ride out: back off (1 ms doubling to 100 ms) and try again. Anything else means
     * the poller is broken: false, and the loop ends with it as the cause.
     */
    private boolean rideOut(NativeException e) {
        if (e.errno() != Errno.ENOMEM && e.errno() != Errno.ENOBUFS) return false;
        waitErrors.report(this, e);
        waitBackoffMillis = waitBackoffMillis == 0 ? 1 : Math.min(100, waitBackoffMillis * 2);
        try {
            Thread.sleep(waitBackoffMillis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    // ---- timers (see Timers) --------------------------------------------------------------------

    /** The poll timeout, shortened to the nearest timer's deadline. */
    private int timerTimeout(int timeout) {
        if (timeout == 0 || timers.size() == 0) return timeout;
        int t = timers.timeoutMillis(clock.nanoTime());
        return timeout < 0 ? t : Math.min(timeout, t);
    }

    /** The clock this loop's timers read. */
    public Clock clock() {
        return clock;
    }

    /**
     * Runs {@code task} once on the loop after {@code delay}. Safe from any thread; on a
     * terminated loop it throws {@link RejectedExecutionException}.
     */
    public Timer schedule(long delay, TimeUnit unit, Runnable task) {
        return addTimer(new Timer(this, task, Timers.deadline(clock.nanoTime(), delay, unit), 0));
    }

    /**
     * Runs {@code task} on the loop after {@code initialDelay}, then every {@code period} measured
     * from the first deadline (not from when the last run ended). Safe from any thread.
     */
    public Timer scheduleAtFixedRate(long initialDelay, long period, TimeUnit unit, Runnable task) {
        long p = unit.toNanos(period);
        if (p <= 0) throw new IllegalArgumentException("period must be positive: " + period + " " + unit);
        return addTimer(new Timer(this, task, Timers.deadline(clock.nanoTime(), initialDelay, unit),
                Math.min(p, Timers.MAX_DELAY_NANOS)));
    }

    private Timer addTimer(Timer t) {
        if (inLoop() || thread == null) timers.add(t);
        else execute(() -> timers.add(t));
        return t;
    }

    // ---- other threads ---------------------------------------------------------------------------

    /**
     * Runs {@code task} on the loop thread, in order with other tasks. Safe from any thread.
     *
     * @throws RejectedExecutionException once the loop has terminated (the task would never run)
     */
    @Override
    public void execute(Runnable task) {
        if (!offer(task)) {
            throw new RejectedExecutionException("event loop has terminated"
                    + (terminationCause != null ? " (" + terminationCause + ")" : ""));
        }
    }

    /**
     * Queues {@code task}; false if the loop has closed. A task that is queued while the loop
     * closes is either run or, if it is {@link Inbox.Abandonable}, abandoned: never silently lost.
     */
    boolean offer(Runnable task) {
        return inbox.offer(task, inLoop());
    }

    /** Queues an accepted fd from another loop; closes it if this loop has closed. */
    void handOff(HandOff h) {
        if (!offer(h)) h.abandon();
    }

    boolean isStopping() {
        return stopping;
    }

    /**
     * Ends the loop's current wait. Coalesced: it signals the poller only when the loop is asleep
     * (or about to be), and only once per sleep.
     */
    public void wakeup() {
        inbox.wakeup();
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    public boolean isRunning() {
        return thread != null && terminated.getCount() > 0;
    }

    private void checkInLoop() {
        if (thread != null && !inLoop()) {
            throw new IllegalStateException("not on the loop thread: use execute()");
        }
    }

    /** Runs {@code r} now when on the loop (or before it runs), else queues it. */
    void inLoopOrLater(Runnable r) {
        if (thread == null || inLoop()) r.run();
        else execute(r);
    }

    /** Runs {@code call} on the loop and waits for it; see {@link PendingCall#await}. */
    <T> T callInLoop(PendingCall.Call<T> call) throws NativeException {
        return thread == null || inLoop() ? call.call() : PendingCall.await(this, call);
    }

    // ---- shutdown --------------------------------------------------------------------------------

    /**
     * Graceful shutdown: stop accepting, let every connection flush its queued output (reading
     * stops), and close what is left when {@code grace} runs out. Safe from any thread; nothing
     * happens if the loop has already terminated.
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + Timers.saturatedNanos(grace);
        offer(() -> {
            if (shuttingDown || stopping) return;
            shuttingDown = true;
            stopping = true;
            shutdownDeadlineNanos = deadline;
            for (Channel c : registry.channels()) {
                if (c instanceof Listener l) l.closeNow(null);
                else if (c instanceof Connection k) k.closeAfterFlush();
            }
        });
    }

    /** Stops at once: every fd is closed, queued output dropped. Safe from any thread. */
    public void stop() {
        stopping = true;
        offer(() -> shuttingDown = false);
        wakeup();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(Timers.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    }

    /**
     * Why the loop ended, if it ended on a failure (the poller's: e.g. {@code epoll_wait: EBADF});
     * null while it runs and after an orderly stop.
     */
    public Throwable terminationCause() {
        return terminationCause;
    }

    /** Stops (if running), waits for the loop thread, and releases every fd and all native memory. */
    @Override
    public void close() {
        if (thread == null) {
            synchronized (this) {
                if (thread == null) {
                    thread = Thread.currentThread();
                    closeAll();
                    terminated.countDown();
                    return;
                }
            }
        }
        if (!inLoop()) {
            stop();
            try {
                if (!awaitTermination(Duration.ofSeconds(30))) throw new IllegalStateException("loop did not stop");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            stopping = true;
            shuttingDown = false;
        }
    }

    private void closeAll() {
        if (inbox.isClosed()) return;
        // Tasks that will never run now release what they own (an fd handed over by another loop,
        // a caller waiting on a call); tasks offered from here on are refused.
        inbox.close();
        for (Channel c : registry.channels()) {
            try {
                c.closeNow(null);
            } catch (Throwable t) {
                report(null, t);
            }
        }
        timers.clear();
        accepting.clear();
        poller.close();
        arena.close();
    }

    // ---- errors and counters ---------------------------------------------------------------------

    /** Who hears about handler failures and accept errors (default: standard error). */
    public void onError(BiConsumer<Connection, Throwable> handler) {
        this.errorHandler = handler;
    }

    /** A channel failed: report it once, count it, close it. The loop goes on. */
    void fail(Channel c, Throwable t) {
        failures++;
        report(c instanceof Connection k ? k : null, t);
        try {
            c.closeNow(t);
        } catch (Throwable again) {
            report(null, again);
        }
    }

    void report(Connection c, Throwable t) {
        try {
            errorHandler.accept(c, t);
        } catch (Throwable ignored) {
            // The reporter itself failed; the loop goes on.
        }
    }

    private static void printError(Connection c, Throwable t) {
        System.err.println("ffmreactor: " + (c == null ? "loop" : "connection fd " + c.fd()) + ": " + t);
    }

    /** The loop's counters. Exact from the loop thread; from others, possibly a little stale. */
    public LoopStats stats() {
        PollerStats p = poller.stats();
        return new LoopStats(p.waits(), p.events(), reads, writes, eagains, accepts, bytesIn, bytesOut,
                p.ctlCalls(), p.wakeupsSent(), staleEvents, carried.total, registry.open, rejected, failures, acceptPauses,
                queuedOutput);
    }
}
