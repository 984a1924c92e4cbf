package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.sys.IoUring.EBUSY;
import static io.github.ffmreactor.sys.IoUring.ETIME;
import static io.github.ffmreactor.sys.IoUring.FEAT_EXT_ARG;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.poll.Capabilities;
import io.github.ffmreactor.poll.PollerStats;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.EventFd;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.sys.Uring;
import io.github.ffmreactor.sys.UringBufRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The completion engine (Linux io_uring). Listeners keep a multishot ACCEPT in flight, connections a
 * RECV that picks buffers from one provided buffer ring per loop (multishot, or one buffer at a time
 * until {@code RingStream.multishot}); the handler sees the ring buffer for the {@code onData} call
 * and the buffer goes back to the kernel right after it. Output is copied into the connection's
 * queue of {@link ChunkPool} chunks by its {@link RingStream} and sent by one request per connection
 * in flight (a SEND of one chunk, or a SENDMSG of up to {@link SendVectors#IOVECS}), submitted at
 * {@link #prepare} together with the wait (one io_uring_enter); a chunk goes back to the pool when
 * its bytes are sent. Closing is a request: the slot is retired, the connection's requests are
 * cancelled, and the fd is closed and the slot freed only once the kernel has returned the last
 * completion for them. An outgoing connect is
 * one IORING_OP_CONNECT on an unconnected socket, closed the same way. UDP is not served here.
 *
 * <p>This class is the engine's face (registration, the wait); the submission side is
 * {@link UringSubmissions}, the completion side {@link UringCompletions}, the teardown
 * {@link UringTeardown}, the per-channel state {@link RingState}. The ring itself is opened on the loop thread at its first turn (SINGLE_ISSUER:
 * the opening thread is the submitter). Loop thread only, except {@link #wakeup}.
 */
final class UringEngine implements Engine {
    /** The backend name. The one place the io_uring engine is chosen by name. */
    static final String NAME = "io_uring";
    /** Why {@code openDatagram} refuses on this engine. */
    static final String NO_UDP = "openDatagram: UDP sockets are not supported on the io_uring backend "
            + "(UDP stays on epoll); open this loop with Backend.EPOLL (--backend epoll)";
    private static final Capabilities CAPS = new Capabilities(true, false, Integer.MAX_VALUE);

    /** SQ entries, provided buffers (a power of two) and their size; quiet receives before multishot (LoopOptions). */
    private final int entries, buffers, bufferSize;
    final int quietReceives;

    final EventLoop loop;
    final Registry registry;
    final Counters counters;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
    final MemorySegment wakeBuf = arena.allocate(ValueLayout.JAVA_LONG);
    final int evfd;
    Uring ring;
    UringBufRing bufs;
    MemorySegment[] bufSlices;
    final UringSubmissions sq = new UringSubmissions(this);
    final UringCompletions cq = new UringCompletions(this);
    final UringFaultSeam faults = new UringFaultSeam();
    /** Each channel's state, by slot, from attach until its fd and slot are released. */
    private RingState[] states = new RingState[64];
    /** Queued output and held input of every connection, lent per connection while it has some. */
    private final ChunkPool chunks = new ChunkPool();
    /** Per slot: the msghdr and iovecs of a SENDMSG of several chunks. */
    final SendVectors vectors = new SendVectors();
    private final Runnable trimTask = this::trimChunks;
    private Timer trimTimer;

    long waits, enters;
    boolean wakeArmed;
    /** Requests in flight (wake read included): what close must reap before memory is released. */
    int inFlight;
    private int retired;
    private long wakeups;
    private boolean closed;

    /** Whether io_uring can be offered here (Linux, and a ring opens); {@link #checkAvailable} says why not. */
    static boolean usable() {
        return Uring.available();
    }

    /**
     * Whether this process can use io_uring, tried now (a two-entry ring): an
     * {@link IllegalArgumentException} saying why not (the kernel, seccomp, io_uring_disabled, memlock).
     */
    static void checkAvailable() {
        try (Uring r = Uring.open(2)) {
            if ((r.features & FEAT_EXT_ARG) == 0) {
                throw new IllegalArgumentException("backend 'io_uring' is not available: the kernel lacks "
                        + "IORING_FEAT_EXT_ARG (5.11)");
            }
        } catch (NativeException e) {
            throw new IllegalArgumentException("backend 'io_uring' is not available: " + e.getMessage(), e);
        }
    }

    /** The loop's engine; if it cannot open, the loop's arena is closed and the failure thrown unchecked. */
    static UringEngine open(EventLoop loop, Registry registry, Counters counters) {
        try {
            return new UringEngine(loop, registry, counters);
        } catch (NativeException e) {
            loop.arena.close();
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private UringEngine(EventLoop loop, Registry registry, Counters counters) throws NativeException {
        this.loop = loop;
        this.registry = registry;
        this.counters = counters;
        LoopOptions o = loop.options;
        this.entries = o.uringEntries();
        this.buffers = o.uringBuffers();
        this.bufferSize = o.uringBufferSize();
        this.quietReceives = o.uringQuietReceives();
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        int ev = EventFd.eventfd(Native.threadCallState(), 0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (ev < 0) {
            arena.close();
            throw Errno.exception("eventfd", -ev);
        }
        this.evfd = ev;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return CAPS;
    }

    @Override
    public int maxSlots() {
        return UserData.MAX_SLOTS;
    }

    @Override
    public String datagramRefusal() {
        return NO_UDP;
    }

    // ---- registration: the channel's RingState, arming and cancelling --------------------------

    @Override
    public EngineStream stream(Connection c) {
        return new RingStream(c, this);
    }

    RingState state(Channel c) {
        int s = c.slot;
        return s >= 0 && s < states.length ? states[s] : null;
    }

    @Override
    public void attach(Channel c, int interest) {
        if (c instanceof Datagram) throw new UnsupportedOperationException(NO_UDP);
        if (c instanceof Connector) return; // its RingConnect comes with the sockaddr (connect)
        put(c, c instanceof Connection k ? (RingStream) k.stream : new RingState(c));
        if ((interest & READ) != 0) sq.armLater(states[c.slot]);
    }

    private void put(Channel c, RingState s) {
        if (c.slot >= states.length) states = Arrays.copyOf(states, Math.max(c.slot + 1, states.length * 2));
        states[c.slot] = s;
    }

    @Override
    public void interest(Channel c, int interest) {
        RingState s = state(c);
        if (s == null) return;
        if ((interest & READ) != 0) {
            if (!s.armed) sq.armLater(s);
        } else if (s.armed && ring != null) {
            sq.cancelLater(s); // at the next prepare, as a close's cancel is
        }
    }

    /** The sockaddr first (a bad address opens nothing), then the socket, then the CONNECT, queued. */
    @Override
    public void connect(Connector k, Connector.Target target) throws NativeException {
        // Called on the loop thread only (a connect asked earlier waits for the first turn), and
        // closed there at the CONNECT's completion: confined (closing a shared arena costs a
        // handshake with every thread, about 13 us per connect here).
        Arena a = Arena.ofConfined();
        RingConnect s;
        try {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE, 8);
            int len = target.encode(sa);
            k.fd = target.open();
            s = new RingConnect(k, a, sa, len);
            registry.attach(k, 0);
        } catch (NativeException | RuntimeException e) {
            a.close();
            throw e;
        }
        put(k, s);
        sq.connectLater(s);
    }

    @Override
    public void detach(Channel c, int fd) {
        put(c, null); // nothing in flight: the fd goes on to a new owner
    }

    /**
     * Closing is a request: the channel's slot is retired (its completions are stale for delivery),
     * what it has in flight is cancelled, and the fd and slot are released at its last completion.
     */
    @Override
    public void release(Channel c) {
        int fd = c.fd;
        c.fd = -1;
        RingState s = state(c);
        if (s == null) { // never attached here (a refused registration): nothing in flight
            Fds.closeQuietly(fd);
            registry.freeSlot(c);
            return;
        }
        s.closedFd = fd;
        if (s.ops == 0 || ring == null) {
            free(s);
            return;
        }
        registry.retire(c);
        retired++;
        sq.cancelLater(s); // at the next prepare, with the wait: a failed submit there keeps it queued
    }

    /** The channel's last completion is back (or it had none): its fd is closed and its slot freed. */
    void free(RingState s) {
        Channel c = s.channel;
        if (c.slot >= 0 && registry.retiredChannel(registry.token(c)) == c) retired--;
        Fds.closeQuietly(s.closedFd);
        s.closedFd = -1;
        if (c.slot >= 0) put(c, null);
        registry.freeSlot(c);
    }

    // ---- the turn ---------------------------------------------------------------------------------

    private void openRing() throws NativeException {
        Uring r = Uring.open(entries);
        try {
            bufs = UringBufRing.register(r, 0, buffers, bufferSize, arena);
        } catch (NativeException | RuntimeException e) {
            r.close();
            throw e;
        }
        ring = r;
        bufSlices = new MemorySegment[buffers];
        for (int i = 0; i < buffers; i++) bufSlices[i] = bufs.buffers().asSlice(bufs.offset(i), bufferSize);
    }

    @Override
    public void prepare() throws NativeException {
        if (ring == null) {
            if (closed) return;
            openRing();
        }
        sq.submitQueued();
        // A burst mapped slabs past the first: look once a second whether they can go back.
        if (trimTimer == null && chunks.mappedBytes() > ChunkPool.SLAB_BYTES) {
            trimTimer = loop.schedule(1, TimeUnit.SECONDS, trimTask);
        }
    }

    @Override
    public int await(int timeoutMillis) throws NativeException {
        if (ring == null) return 0;
        // Entries the SQ had no room for wait for the next turn: this wait only submits and reaps.
        if (sq.backlog()) timeoutMillis = 0;
        int r = ring.submitAndWait(timeoutMillis == 0 ? 0 : 1, timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L);
        enters++;
        waits++;
        if (r < 0 && r != -ETIME && r != -Errno.EINTR && r != -EBUSY) throw Errno.exception("io_uring_enter", -r);
        return ring.cqReady();
    }

    @Override
    public int deliver(int ready) {
        if (ring == null) return 0;
        int n = ring.drain(cq);
        cq.completions += n;
        cq.checkHolders();
        return n;
    }

    @Override
    public boolean hasCarried() {
        return false; // re-arms and sends go out with the next wait
    }

    @Override
    public void wakeup() {
        wakeups++;
        Unistd.write(Native.threadCallState(), evfd, one, 0, 8);
    }

    @Override
    public PollerStats stats() {
        return new PollerStats(enters, cq.completions, 0, wakeups, 0);
    }

    /** The pool connections take output and held-input chunks from. */
    ChunkPool chunks() {
        return chunks;
    }

    /** Once a second while slabs past the first are mapped: unmaps those a burst left empty. */
    private void trimChunks() {
        trimTimer = null;
        if (closed) return;
        if (chunks.trim()) trimTimer = loop.schedule(1, TimeUnit.SECONDS, trimTask);
    }

    void watchHolding(RingStream k) {
        cq.watchHolding(k);
    }

    void wantSend(RingStream k) {
        sq.wantSend(k);
    }

    /** Receives that ended with ENOBUFS (the buffer ring ran dry) and were armed again. */
    long noBuffers() {
        return cq.noBuffers;
    }

    /** Channels closed whose requests are still in flight (their fd and slot not yet released). */
    int retiredChannels() {
        return retired;
    }

    /** Whether {@code c} has a receive or accept in flight (tests). */
    boolean armed(Channel c) {
        RingState s = state(c);
        return s != null && s.armed;
    }

    // ---- teardown ---------------------------------------------------------------------------------

    /**
     * Cancels everything still in flight and reaps the completions ({@link UringTeardown}), so that
     * no request outlives the memory it reads or writes; then closes the ring. Memory a request
     * could still touch after that is left allocated rather than freed under the kernel.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        sq.dropQueued();
        boolean reaped = ring == null || UringTeardown.cancelAndReap(this);
        Unistd.close(Native.threadCallState(), evfd);
        if (reaped) {
            arena.close();
            chunks.close();
            vectors.close();
        }
    }
}
