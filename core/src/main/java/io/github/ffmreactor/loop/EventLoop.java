package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.poll.PollerStats;
import io.github.ffmreactor.poll.Trigger;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * One thread's reactor: a poller, the channels registered on it, a task queue for other threads,
 * and one read buffer shared by every connection. Events carry a {@code long} token (slot index
 * in the low 32 bits, the slot's generation in the high 32) that indexes the channel table: no
 * map lookup, no boxing, and an event for a channel closed earlier in the same batch is dropped
 * even when the kernel has already handed its fd number to a new channel.
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final int AWAKE = 0, SLEEPING = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(EventLoop.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final LoopOptions options;
    final Poller poller;
    private final Arena arena = Arena.ofShared();
    final MemorySegment cs = Native.callState(arena);
    final MemorySegment readBuf;
    final MemorySegment intScratch = arena.allocate(ValueLayout.JAVA_INT);

    private Channel[] slots = new Channel[64];
    private int[] generations = new int[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int slotsUsed;

    private Connection[] carry = new Connection[16];
    private int carryCount;
    private Connection[] carryNext = new Connection[16];

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    @SuppressWarnings("unused") private volatile int state;
    private volatile boolean stopping;
    private volatile Thread thread;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private boolean shuttingDown;
    private long shutdownDeadlineNanos;
    private volatile BiConsumer<Connection, Throwable> errorHandler = EventLoop::printError;
    final Clock clock;
    final Timers timers = new Timers();
    private final Spinning spinning;

    // Counters: written by the loop thread only; read by anyone (a racy read is only stale).
    long reads, writes, eagains, accepts, bytesIn, bytesOut, staleEvents, carried;
    int open, connecting;

    private EventLoop(LoopOptions options, Poller poller, Clock clock) {
        this.options = options;
        this.poller = poller;
        this.clock = clock;
        this.readBuf = arena.allocate(options.readBufferSize(), 64);
        this.spinning = new Spinning(options.waitStrategy());
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
        return new EventLoop(options, Poller.open(options.backend()), clock);
    }

    /** A loop over a poller the caller opened; the loop owns and closes it. */
    public static EventLoop open(LoopOptions options, Poller poller) {
        return new EventLoop(options, poller, Clock.SYSTEM);
    }

    public String backend() {
        return poller.name();
    }

    public LoopOptions options() {
        return options;
    }

    // ---- channels and tokens ------------------------------------------------------------------

    long token(Channel c) {
        return ((long) generations[c.slot] << 32) | c.slot;
    }

    int allocateSlot(Channel c) {
        int s;
        if (freeCount > 0) {
            s = freeSlots[--freeCount];
        } else {
            if (slotsUsed == slots.length) {
                int n = slots.length * 2;
                slots = Arrays.copyOf(slots, n);
                generations = Arrays.copyOf(generations, n);
                freeSlots = Arrays.copyOf(freeSlots, n);
            }
            s = slotsUsed++;
        }
        slots[s] = c;
        c.slot = s;
        return s;
    }

    /** Deregisters, closes the fd (exactly once) and frees the slot under a new generation. */
    void release(Channel c) {
        int fd = c.fd;
        c.fd = -1;
        try {
            poller.deregister(fd);
        } catch (NativeException ignored) {
            // Already gone from the kernel's set; closing is what matters.
        }
        Fds.closeQuietly(fd);
        int s = c.slot;
        slots[s] = null;
        // 31 bits, so a token is never the poller's reserved Long.MIN_VALUE.
        generations[s] = (generations[s] + 1) & 0x7fffffff;
        freeSlots[freeCount++] = s;
        if (c instanceof Connection) open--;
    }

    /**
     * Takes ownership of a connected, non-blocking stream fd (a socket, a pipe end) and serves it
     * with {@code handler}. Loop thread only (or before the loop runs). On failure the fd is closed.
     */
    public Connection register(int fd, Trigger trigger, Handler handler) throws NativeException {
        checkInLoop();
        return adopt(fd, trigger, handler);
    }

    Connection adopt(int fd, Trigger trigger, Handler handler) throws NativeException {
        try {
            checkTrigger(trigger);
        } catch (IllegalArgumentException e) {
            Fds.closeQuietly(fd); // the fd was handed over: a refusal must not leak it
            throw e;
        }
        Connection c = new Connection(this, fd, trigger, handler);
        allocateSlot(c);
        int interest = c.wantedInterest();
        try {
            poller.register(fd, interest, trigger, token(c));
        } catch (NativeException | RuntimeException e) {
            freeSlot(c);
            Fds.closeQuietly(fd);
            c.fd = -1;
            throw e;
        }
        c.interest = interest;
        open++;
        try {
            handler.onOpen(c);
        } catch (Throwable t) {
            report(c, t);
            c.closeNow(t);
        }
        return c;
    }

    void freeSlot(Channel c) {
        slots[c.slot] = null;
        generations[c.slot] = (generations[c.slot] + 1) & 0x7fffffff;
        freeSlots[freeCount++] = c.slot;
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
        checkTrigger(trigger);
        int fd = Tcp.listen(address, 1024, reusePort);
        return registerListener(fd, () -> new Listener(this, fd, trigger, handlers, true));
    }

    /** Deregisters {@code c} and frees its slot, keeping the fd open; returns the fd, now the caller's. */
    int detach(Channel c) {
        int fd = c.fd;
        c.fd = -1;
        try {
            poller.deregister(fd);
        } catch (NativeException ignored) {
            // Not registered any more: nothing to undo.
        }
        freeSlot(c);
        return fd;
    }

    /**
     * Connects to {@code address} without blocking; the future completes on the loop thread with a
     * connection served by {@code handler} (whose onOpen has run), or fails with the cause: a
     * {@link NativeException} such as {@code connect: ECONNREFUSED (Connection refused) to
     * /127.0.0.1:4242}, or a {@link java.net.SocketTimeoutException} after {@code timeout} (null:
     * no limit but the kernel's). Safe from any thread.
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
     * Listens on a Unix domain stream socket at {@code path} (which must not exist); the listener
     * removes the file when it closes. As {@link #listen(InetSocketAddress, Trigger, Supplier)}.
     */
    public Listener listen(java.nio.file.Path path, Trigger trigger, Supplier<? extends Handler> handlers)
            throws NativeException {
        checkTrigger(trigger);
        int fd = io.github.ffmreactor.net.Unix.listen(path, 1024);
        return registerListener(fd, () -> new Listener(this, fd, trigger, handlers, path));
    }

    /**
     * Opens a UDP socket bound to {@code address} (IPv4 or IPv6; port 0: any free port) and serves
     * it with {@code handler}. Safe from any thread; bind errors are thrown here.
     */
    public Datagram openDatagram(InetSocketAddress address, DatagramHandler handler) throws NativeException {
        return Datagram.open(this, address, handler);
    }

    Listener registerListener(int fd, Callable<Listener> make) throws NativeException {
        return callInLoop(() -> {
            Listener l;
            try {
                l = make.call();
                allocateSlot(l);
                // Listeners are level-triggered whatever their connections use: accepting is
                // bounded per turn, and the next turn finds the rest without a new edge.
                poller.register(fd, Poller.READ, Trigger.LEVEL, token(l));
            } catch (NativeException | RuntimeException e) {
                Fds.closeQuietly(fd);
                throw e;
            }
            l.interest = Poller.READ;
            return l;
        });
    }

    void checkTrigger(Trigger trigger) {
        if (!poller.capabilities().supports(trigger)) {
            throw new IllegalArgumentException("backend " + poller.name() + " does not support " + trigger + " triggering");
        }
    }

    /** Runs {@code r} now when on the loop (or before it runs), else queues it. */
    void inLoopOrLater(Runnable r) {
        if (thread == null || inLoop()) r.run();
        else execute(r);
    }

    // ---- the loop --------------------------------------------------------------------------------

    /** Runs the loop on the calling thread until {@link #shutdown} or {@link #stop}, then closes it. */
    public void run() {
        synchronized (this) {
            if (thread != null) throw new IllegalStateException("loop is already running or has run");
            thread = Thread.currentThread();
        }
        try {
            while (!stopping || shuttingDown) {
                if (shuttingDown && (open == 0 || System.nanoTime() - shutdownDeadlineNanos >= 0)) break;
                turn();
            }
        } catch (Throwable t) {
            report(null, t);
        } finally {
            closeAll();
            terminated.countDown();
        }
    }

    /** Starts the loop on a new platform thread. */
    public Thread start(String name) {
        Thread t = Thread.ofPlatform().name(name).unstarted(this::run);
        t.start();
        return t;
    }

    private void turn() throws NativeException {
        int timeout = -1;
        if (shuttingDown) {
            timeout = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(shutdownDeadlineNanos - System.nanoTime()));
        }
        if (carryCount > 0 || !tasks.isEmpty() || spinning.spin()) {
            // Spinning stays AWAKE: another thread's execute() then sends no wakeup signal.
            timeout = 0;
        } else {
            STATE.setVolatile(this, SLEEPING);
            // A task queued before this point is seen here; one queued after sees SLEEPING and wakes us.
            if (!tasks.isEmpty() || (stopping && !shuttingDown)) timeout = 0;
        }
        int n = poller.poll(timerTimeout(timeout));
        STATE.setVolatile(this, AWAKE);
        if (n > 0 || carryCount > 0) spinning.active();
        Channel[] table = slots;
        for (int i = 0; i < n; i++) {
            long token = poller.token(i);
            int s = (int) token;
            Channel c = s >= 0 && s < table.length ? table[s] : null;
            if (c == null || generations[s] != (int) (token >>> 32)) {
                staleEvents++;
                continue;
            }
            c.ready(poller.ready(i));
            table = slots;
        }
        runCarried();
        // Timers before tasks: a task queued after the clock moved sees the timers that were due.
        if (timers.size() > 0 && timers.runDue(clock, this) > 0) spinning.active();
        if (runTasks() > 0) spinning.active();
    }

    /** Edge triggering: a connection whose read budget ran out reads again next turn. */
    void carry(Connection c) {
        if (c.carried) return;
        c.carried = true;
        carried++;
        if (carryCount == carry.length) carry = Arrays.copyOf(carry, carryCount * 2);
        carry[carryCount++] = c;
    }

    private void runCarried() {
        int n = carryCount;
        if (n == 0) return;
        Connection[] batch = carry;
        carry = carryNext;
        carryNext = batch;
        carryCount = 0;
        if (carry.length < batch.length) carry = new Connection[batch.length];
        for (int i = 0; i < n; i++) {
            Connection c = batch[i];
            batch[i] = null;
            c.carried = false;
            if (c.fd >= 0) c.readInput(false);
        }
    }

    /** Runs the tasks queued now; returns how many ran. */
    private int runTasks() {
        int ran = 0;
        // Only the tasks present now: a task that queues another does not starve the poller.
        for (int n = tasks.size(); n > 0; n--) {
            Runnable r = tasks.poll();
            if (r == null) break;
            ran++;
            try {
                r.run();
            } catch (Throwable t) {
                report(null, t);
            }
        }
        return ran;
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

    /** Runs {@code task} once on the loop after {@code delay}. Safe from any thread. */
    public Timer schedule(long delay, TimeUnit unit, Runnable task) {
        return addTimer(new Timer(this, task, clock.nanoTime() + Timers.toNanos(delay, unit), 0));
    }

    /**
     * Runs {@code task} on the loop after {@code initialDelay}, then every {@code period} measured
     * from the first deadline (not from when the last run ended). Safe from any thread.
     */
    public Timer scheduleAtFixedRate(long initialDelay, long period, TimeUnit unit, Runnable task) {
        long p = unit.toNanos(period);
        if (p <= 0) throw new IllegalArgumentException("period must be positive: " + period + " " + unit);
        return addTimer(new Timer(this, task, clock.nanoTime() + Timers.toNanos(initialDelay, unit), p));
    }

    private Timer addTimer(Timer t) {
        if (inLoop() || thread == null) timers.add(t);
        else execute(() -> timers.add(t));
        return t;
    }

    // ---- other threads ---------------------------------------------------------------------------

    /** Runs {@code task} on the loop thread, in order with other tasks. Safe from any thread. */
    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop()) wakeup();
    }

    /** Queues an accepted fd from another loop; closes it if this loop has already closed. */
    void handOff(HandOff h) {
        execute(h);
        if (closed && tasks.remove(h)) h.abandon();
    }

    boolean isStopping() {
        return stopping;
    }

    /**
     * Ends the loop's current wait. Coalesced: it signals the poller only when the loop is asleep
     * (or about to be), and only once per sleep.
     */
    public void wakeup() {
        if (STATE.compareAndSet(this, SLEEPING, AWAKE)) {
            poller.wakeup();
        }
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

    /** Runs {@code call} on the loop (directly when on it or when it has not started) and waits. */
    <T> T callInLoop(Callable<T> call) throws NativeException {
        if (thread == null || inLoop()) {
            try {
                return call.call();
            } catch (NativeException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NativeException ne) throw ne;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("loop did not answer", e);
        }
    }

    // ---- shutdown --------------------------------------------------------------------------------

    /**
     * Graceful shutdown: stop accepting, let every connection flush its queued output (reading
     * stops), and close what is left when {@code grace} runs out. Safe from any thread.
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        execute(() -> {
            if (shuttingDown || stopping) return;
            shuttingDown = true;
            stopping = true;
            shutdownDeadlineNanos = deadline;
            for (Channel c : slots.clone()) {
                if (c instanceof Listener l) l.closeNow(null);
                else if (c instanceof Connection k) k.closeAfterFlush();
            }
        });
    }

    /** Stops at once: every fd is closed, queued output dropped. Safe from any thread. */
    public void stop() {
        stopping = true;
        execute(() -> shuttingDown = false);
        wakeup();
    }

    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
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

    private volatile boolean closed;

    private void closeAll() {
        if (closed) return;
        closed = true;
        for (Channel c : slots.clone()) {
            if (c != null) c.closeNow(null);
        }
        // Tasks that will never run now; an fd handed over by another loop is closed, not leaked.
        for (Runnable r; (r = tasks.poll()) != null; ) {
            if (r instanceof HandOff h) h.abandon();
        }
        timers.clear();
        poller.close();
        arena.close();
    }

    // ---- errors and counters ---------------------------------------------------------------------

    /** Who hears about handler failures and accept errors (default: standard error). */
    public void onError(BiConsumer<Connection, Throwable> handler) {
        this.errorHandler = handler;
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
                p.ctlCalls(), p.wakeupsSent(), staleEvents, carried, open);
    }
}
