package io.github.ffmreactor.loop;

import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.poll.PollerStats;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * One thread's reactor: an {@link Engine} (a poller, or io_uring), the channels registered on it
 * ({@link Registry}), a task queue for other threads, timers, and one read buffer shared by every
 * connection. This class is the turn; {@link #run} and {@link #start} hand it to a runner that
 * drives it with the {@link WaitStrategy}, and an embedder with a thread of its own drives it
 * with {@link #runOnce} or {@link #doWork} instead. The rest of its public methods say what they
 * promise and hand over to a class with that one job: {@link ChannelFactory} makes channels,
 * {@link Tasks} brings work from other threads, {@link Lifecycle} stops and closes,
 * {@link Failures} reports.
 *
 * <p>Failures are contained: anything one channel causes (a handler that throws, an unexpected
 * errno on its fd, a registration the poller refuses) closes that channel, is reported once
 * through {@link #onError} and counted in {@link LoopStats#failures()}; the loop goes on. Only a
 * failure of the poller itself ends the loop, and then {@link #terminationCause()} says why.
 */
public final class EventLoop implements Executor, AutoCloseable {
    final LoopOptions options;
    final Arena arena = Arena.ofShared();
    final MemorySegment cs = Native.callState(arena);
    final MemorySegment readBuf;
    final MemorySegment intScratch = arena.allocate(ValueLayout.JAVA_INT);
    final Registry registry;
    final Inbox inbox;
    /** Work for the loop thread from any thread: run now on it, else queued on the inbox. */
    final Tasks tasks;
    final Counters counters = new Counters();
    final Failures failures = new Failures(counters);
    final Carried carried = new Carried(counters);
    /** How the turn does I/O and how channels are watched: a readiness poller, or io_uring. */
    final Engine engine;
    /** Where Connection.write copies heap bytes for write(2) (native-notes/ffm.md, "Writing heap bytes"). */
    final Stage stage = new Stage(arena);

    final Lifecycle life = new Lifecycle();
    /** Set by a group watching its loops: run on the loop thread once it has closed everything. */
    volatile Runnable afterTermination;
    private boolean inTurn;
    final Clock clock;
    final Timers timers = new Timers();
    final WaitStrategy.Idler idler;
    final Accepting accepting = new Accepting(this);
    private final ChannelFactory factory = new ChannelFactory(this);
    private final WaitErrors waitErrors = new WaitErrors();

    private EventLoop(LoopOptions options, Poller poller, Clock clock) {
        this.options = options;
        this.clock = clock;
        this.readBuf = arena.allocate(options.readBufferSize(), 64);
        this.idler = options.waitStrategy().idler();
        this.registry = new Registry(this);
        this.engine = poller != null ? new ReadinessEngine(this, poller, registry, carried, counters) : UringEngine.open(this, registry, counters);
        registry.bind(engine);
        this.inbox = new Inbox(engine::wakeup);
        this.tasks = new Tasks(life, inbox);
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
        if (options.backend() == Backend.IO_URING) {
            // The completion engine: opened on the loop thread at its first turn; checked here.
            UringEngine.checkAvailable();
            return new EventLoop(options, null, clock);
        }
        return new EventLoop(options, Poller.open(options.backend().pollerName(), options.eventCapacity()), clock);
    }

    /** {@return the backends this OS offers, best first, e.g. {@code [epoll, poll, select, io_uring]} ({@link Backend#available()})} */
    public static List<Backend> backends() {
        return Backend.available();
    }

    /** {@return the backend this loop waits on (never {@link Backend#AUTO}: the one auto chose)} */
    public Backend backend() {
        return Backend.parse(engine.name());
    }

    public LoopOptions options() {
        return options;
    }

    /**
     * Takes ownership of a connected, non-blocking stream fd (a socket, a pipe end) and serves it
     * with {@code handler}. Loop thread only (or before the loop runs). On failure the fd is closed.
     */
    public Connection register(int fd, Trigger trigger, Handler handler) throws NativeException {
        return tasks.here(() -> factory.register(fd, trigger, handler));
    }

    /**
     * Listens on {@code address} (port 0: any free port) and serves each accepted connection with a
     * handler from {@code handlers}, under {@code trigger}. Bind errors (EADDRINUSE...) are thrown
     * here, to the caller, from any thread.
     */
    public Listener listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        return factory.listen(address, trigger, handlers, false);
    }

    public Listener listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers,
                           boolean reusePort) throws NativeException {
        return factory.listen(address, trigger, handlers, reusePort);
    }

    /**
     * Listens on a Unix domain stream socket at {@code path} (which must not exist); the listener
     * removes the file when it closes. As {@link #listen(InetSocketAddress, Trigger, Supplier)}.
     */
    public Listener listen(Path path, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        return factory.listen(path, trigger, handlers);
    }

    /**
     * Connects to {@code address} without blocking; the future completes on the loop thread with a
     * connection served by {@code handler} (whose onOpen has run), or fails with the cause: a
     * {@link NativeException} such as {@code connect: ECONNREFUSED (Connection refused) to
     * /127.0.0.1:4242}, or a {@link java.net.SocketTimeoutException} after {@code timeout} (null:
     * no limit but the kernel's), counted from this call. Safe from any thread; on a terminated loop
     * the future fails at once. Asked before the loop runs, it waits for the loop's first turn
     * (nothing is opened before): if the timeout has run out by then it fails without connecting,
     * and if the loop closes without running it fails with a {@link RejectedExecutionException}.
     */
    public CompletableFuture<Connection> connect(InetSocketAddress address, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        return factory.connect(address, trigger, handler, timeout);
    }

    /** Connects to a Unix domain stream socket at {@code path}; as {@link #connect(InetSocketAddress, Trigger, Handler, Duration)}. */
    public CompletableFuture<Connection> connect(Path path, Trigger trigger, Handler handler,
                                                 Duration timeout) {
        return factory.connect(path, trigger, handler, timeout);
    }

    /**
     * Opens a UDP socket bound to {@code address} (IPv4 or IPv6; port 0: any free port) and serves
     * it with {@code handler}. Safe from any thread; bind errors are thrown here.
     *
     * @throws UnsupportedOperationException on an {@link Backend#IO_URING} loop (UDP stays on epoll)
     */
    public Datagram openDatagram(InetSocketAddress address, DatagramHandler handler) throws NativeException {
        return factory.openDatagram(address, DatagramOptions.defaults(), handler);
    }

    /** As {@link #openDatagram(InetSocketAddress, DatagramHandler)}, with a receive buffer, batch size and datagram limit. */
    public Datagram openDatagram(InetSocketAddress address, DatagramOptions options, DatagramHandler handler)
            throws NativeException {
        return factory.openDatagram(address, options, handler);
    }

    /** Runs the loop on the calling thread until {@link #shutdown} or {@link #stop}, then closes it. */
    public void run() {
        Runner.runHere(this);
    }

    /**
     * Starts the loop on a new platform thread. From the moment this returns, calls from other
     * threads (listen, connect, timers) go through the loop's queue, never inline.
     */
    public Thread start(String name) {
        return Runner.start(this, name);
    }

    /**
     * One turn on the calling thread, for an embedder that owns the thread: waits at most
     * {@code timeout} (0: not at all; negative: until an event, a timer or a task) for I/O, then
     * delivers it, runs the timers that are due and the tasks queued so far. The first call makes
     * the calling thread the loop's thread; any other thread gets {@link IllegalStateException}
     * (as does a call from inside a turn). Once {@link #stop} or {@link #shutdown} has run its
     * course the loop terminates (closes everything) here.
     *
     * @return the work done (events, carried reads, timers, tasks; 0: none), or -1 once the loop
     *         has terminated ({@link #terminationCause()} says why, if it failed)
     */
    public int runOnce(long timeout, TimeUnit unit) {
        life.claimForCaller();
        if (inTurn) throw new IllegalStateException("runOnce/doWork called from inside a turn");
        if (life.isTerminated()) return -1;
        if (life.finished(registry.open)) {
            terminate(null);
            return -1;
        }
        int work;
        try {
            work = turn(timeout < 0 ? -1 : unit.toMillis(timeout));
        } catch (Throwable t) {
            terminate(t);
            return -1;
        }
        if (life.finished(registry.open)) terminate(null);
        return work;
    }

    /** {@link #runOnce} without waiting: what is ready now, due timers, queued tasks. */
    public int doWork() {
        return runOnce(0, TimeUnit.MILLISECONDS);
    }

    /**
     * One turn: prepare, wait at most {@code waitMillis} (0: poll, negative: until something
     * happens; shortened by timers, carried work, queued tasks and a shutdown's deadline), deliver,
     * run due timers, then the tasks queued now. Returns the work done. Loop thread only.
     */
    int turn(long waitMillis) throws NativeException {
        inTurn = true;
        try {
            long timeout = waitMillis < 0 ? -1 : waitMillis;
            if (life.shuttingDown) timeout = life.shutdownTimeout(timeout);
            if (timeout == 0 || engine.hasCarried() || !inbox.isEmpty()) {
                // A loop that does not sleep stays awake: another thread's execute() sends no wakeup.
                timeout = 0;
            } else if (!inbox.sleep() || (life.stopping && !life.shuttingDown)) {
                timeout = 0;
            }
            int n;
            try {
                engine.prepare();
                n = engine.await(timers.shorten((int) Math.min(Integer.MAX_VALUE, timeout), clock));
                waitErrors.ok();
            } catch (NativeException e) {
                inbox.awake();
                if (!waitErrors.rideOut(failures, e)) throw e;
                n = 0;
            }
            inbox.awake();
            int work = engine.deliver(n);
            // Timers before tasks: a task queued after the clock moved sees the timers that were due.
            if (timers.size() > 0) work += timers.runDue(clock, failures);
            return work + inbox.run(failures);
        } finally {
            inTurn = false;
        }
    }

    /** Ends the loop on its thread: closes everything, records why, runs afterTermination. */
    void terminate(Throwable cause) {
        life.terminate(this, cause);
    }

    /** The clock this loop's timers read. */
    public Clock clock() {
        return clock;
    }

    /**
     * Runs {@code task} once on the loop after {@code delay} (counted from this call, also when
     * the loop has not started yet). Safe from any thread; on a terminated loop it throws
     * {@link RejectedExecutionException}, and a timer still pending when the loop terminates
     * ends cancelled.
     */
    public Timer schedule(long delay, TimeUnit unit, Runnable task) {
        return new Timer(this, task, Timers.deadline(clock.nanoTime(), delay, unit), 0).add();
    }

    /**
     * Runs {@code task} on the loop after {@code initialDelay}, then every {@code period} measured
     * from the first deadline (not from when the last run ended). Safe from any thread.
     */
    public Timer scheduleAtFixedRate(long initialDelay, long period, TimeUnit unit, Runnable task) {
        long p = unit.toNanos(period);
        if (p <= 0) throw new IllegalArgumentException("period must be positive: " + period + " " + unit);
        return new Timer(this, task, Timers.deadline(clock.nanoTime(), initialDelay, unit),
                Math.min(p, Timers.MAX_DELAY_NANOS)).add();
    }

    /**
     * Runs {@code task} on the loop thread, in order with other tasks. Safe from any thread.
     *
     * @throws RejectedExecutionException once the loop has terminated (the task would never run)
     */
    @Override
    public void execute(Runnable task) {
        tasks.execute(task);
    }

    /**
     * Ends the loop's current wait. Coalesced: it signals the poller only when the loop is asleep
     * (or about to be), and only once per sleep.
     */
    public void wakeup() {
        inbox.wakeup();
    }

    public boolean inLoop() {
        return tasks.inLoop();
    }

    public boolean isRunning() {
        return life.thread != null && !life.isTerminated();
    }

    /**
     * Graceful shutdown: stop accepting, let every connection flush its queued output (reading
     * stops), and close what is left when {@code grace} runs out. Safe from any thread; nothing
     * happens if the loop has already terminated.
     */
    public void shutdown(Duration grace) {
        life.shutdown(this, grace);
    }

    /** Stops at once: every fd is closed, queued output dropped. Safe from any thread. */
    public void stop() {
        life.stop(this);
    }

    /**
     * Waits until the loop has terminated: true once every fd and its native memory are released
     * and the group hook has run, and, for a loop {@link #start}ed, its thread has ended; false
     * if {@code timeout} ran out first.
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return life.awaitTermination(timeout);
    }

    /**
     * Why the loop ended, if it ended on a failure (the poller's: e.g. {@code epoll_wait: EBADF});
     * null while it runs and after an orderly stop.
     */
    public Throwable terminationCause() {
        return life.terminationCause;
    }

    /**
     * Stops (if running), waits for the loop thread, and releases every fd and all native memory.
     * On a loop an embedder drives, from another thread, this waits for the embedder's next
     * {@link #runOnce}; from the embedder's own thread (between turns) it closes at once.
     */
    @Override
    public void close() {
        life.close(this, inTurn);
    }

    /** Who hears about handler failures and accept errors (default: standard error). */
    public void onError(BiConsumer<Connection, Throwable> handler) {
        failures.reportTo(handler);
    }

    /**
     * The loop's counters. Exact from the loop thread; from others each counter is whole and never
     * goes backwards, possibly a little stale ({@link Counters}).
     */
    public LoopStats stats() {
        PollerStats p = engine.stats();
        return counters.snapshot(p.waits(), p.events(), p.ctlCalls(), p.wakeupsSent(), registry.open);
    }
}
