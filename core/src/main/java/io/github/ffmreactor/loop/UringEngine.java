package io.github.ffmreactor.loop;

import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_ALL;
import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_ANY;
import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_FD;
import static io.github.ffmreactor.sys.IoUring.CQE_F_BUFFER;
import static io.github.ffmreactor.sys.IoUring.CQE_F_MORE;
import static io.github.ffmreactor.sys.IoUring.CQE_F_SOCK_NONEMPTY;
import static io.github.ffmreactor.sys.IoUring.ECANCELED;
import static io.github.ffmreactor.sys.IoUring.ETIME;
import static io.github.ffmreactor.sys.IoUring.OP_ASYNC_CANCEL;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.poll.Capabilities;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.poll.PollerStats;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.EventFd;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.SocketConsts;
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
 * until {@code Connection.multishot}); the handler sees the ring buffer for the {@code onData} call
 * and the buffer goes back to the kernel right after it. Output is copied into the connection's
 * queue of {@link ChunkPool} chunks by {@code Connection.write} and sent by one SEND per connection
 * in flight (one chunk at most), submitted at {@link #prepare} together with the wait (one
 * io_uring_enter); a chunk goes back to the pool when its bytes are sent. Closing is a
 * request: the slot is retired, the connection's requests are cancelled, and the fd is closed and the
 * slot freed only once the kernel has returned the last completion for them. An outgoing connect is
 * one IORING_OP_CONNECT on an unconnected socket ({@link Connector}), closed the same way. UDP is
 * not served here ({@code openDatagram} refuses).
 *
 * <p>It also stands in for the loop's {@link Poller}: the registry's register / modify calls say
 * "this channel wants input (or not)", which arms or cancels its receive or accept. The ring itself is
 * opened on the loop thread at its first turn (SINGLE_ISSUER: the opening thread is the submitter).
 * Loop thread only, except {@link #wakeup}.
 */
final class UringEngine implements Engine, Poller {
    /** The backend name. The one place the io_uring engine is chosen by name. */
    static final String NAME = "io_uring";
    /** Why {@code openDatagram} refuses on this engine. */
    static final String NO_UDP = "openDatagram: UDP sockets are not supported on the io_uring backend "
            + "(UDP stays on epoll); open this loop with Backend.EPOLL (--backend epoll)";

    private static final int KIND_RECV = 1, KIND_SEND = 2, KIND_ACCEPT = 3, KIND_CANCEL = 4, KIND_WAKE = 5,
            KIND_CONNECT = 6;
    private static final long KIND_MASK = 0xFL << 28;
    /** Sizes, read when a loop opens: SQ entries, provided buffers (a power of two) and their size. */
    private final int RING_ENTRIES = Integer.getInteger("ffmreactor.uring.entries", 1024);
    private final int BUFFERS = Integer.getInteger("ffmreactor.uring.buffers", 256);
    private final int BUFFER_SIZE = Integer.getInteger("ffmreactor.uring.bufferSize", 16 * 1024);
    private static final int MSG_NOSIGNAL = SocketConsts.CURRENT.MSG_NOSIGNAL();
    private static final Capabilities CAPS = new Capabilities(true, false, Integer.MAX_VALUE);

    private final EventLoop loop;
    private Registry registry;
    private Counters counters;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment wakeBuf = arena.allocate(ValueLayout.JAVA_LONG);
    private final int evfd;
    private Uring ring;
    private UringBufRing bufs;
    private MemorySegment[] bufSlices;
    private final Uring.CqeHandler onCqe = this::complete;
    /** Queued output and held input of every connection, lent per connection while it has some. */
    private final ChunkPool chunks = new ChunkPool();
    private final Runnable trimTask = this::trimChunks;
    private Timer trimTimer;

    /** Channels whose receive or accept should be armed at the next prepare. */
    private Channel[] arm = new Channel[64];
    private int armCount;
    /** Connects (IORING_OP_CONNECT) to submit at the next prepare. */
    private Connector[] connects = new Connector[4];
    private int connectCount;
    /** Connections with output to submit at the next prepare. */
    private Connection[] send = new Connection[64];
    private int sendCount;
    /** Connections holding input because their queue is over the limits (Connection.startHolding). */
    private Connection[] holders = new Connection[16];
    private int holderCount;
    /**
     * Channels whose requests are cancelled at the next prepare: a closed one (all its requests, by
     * fd) or a paused one (its receive or accept). What to cancel is decided when the entry goes out,
     * so a channel released or resumed meanwhile costs nothing, and a failed submit keeps it queued.
     */
    private Channel[] cancels = new Channel[16];
    private int cancelCount;
    private long waits;
    private boolean wakeArmed;
    /** Requests in flight (wake read included): what close must reap before memory is released. */
    private int inFlight;
    private int retired;
    private long enters, completions, wakeups, noBuffers, singleArms;
    private boolean closed;

    /** Whether io_uring can be offered here (Linux, and a ring opens); {@link #checkAvailable} says why not. */
    static boolean usable() {
        return io.github.ffmreactor.sys.Uring.available();
    }

    /**
     * Whether this process can use io_uring, tried now (a two-entry ring): an
     * {@link IllegalArgumentException} saying why not (the kernel, seccomp, io_uring_disabled, memlock).
     */
    static void checkAvailable() {
        try (Uring r = Uring.open(2)) {
            if ((r.features & io.github.ffmreactor.sys.IoUring.FEAT_EXT_ARG) == 0) {
                throw new IllegalArgumentException("backend 'io_uring' is not available: the kernel lacks "
                        + "IORING_FEAT_EXT_ARG (5.11)");
            }
        } catch (NativeException e) {
            throw new IllegalArgumentException("backend 'io_uring' is not available: " + e.getMessage(), e);
        }
    }

    UringEngine(EventLoop loop) throws NativeException {
        this.loop = loop;
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        MemorySegment cs = Native.threadCallState();
        int ev = EventFd.eventfd(cs, 0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (ev < 0) {
            arena.close();
            throw Errno.exception("eventfd", -ev);
        }
        this.evfd = ev;
    }

    void init(Registry registry, Counters counters) {
        this.registry = registry;
        this.counters = counters;
    }

    private static long userData(long token, int kind) {
        return token | ((long) kind << 28);
    }

    // ---- Engine -----------------------------------------------------------------------------------

    @Override
    public String name() {
        return NAME;
    }

    private void openRing() throws NativeException {
        Uring r = Uring.open(RING_ENTRIES);
        try {
            bufs = UringBufRing.register(r, 0, BUFFERS, BUFFER_SIZE, arena);
        } catch (NativeException | RuntimeException e) {
            r.close();
            throw e;
        }
        ring = r;
        bufSlices = new MemorySegment[BUFFERS];
        for (int i = 0; i < BUFFERS; i++) bufSlices[i] = bufs.buffers().asSlice(bufs.offset(i), BUFFER_SIZE);
    }

    @Override
    public void prepare() throws NativeException {
        if (ring == null) {
            if (closed) return;
            openRing();
        }
        if (!wakeArmed) {
            sqe();
            ring.prepRead(evfd, wakeBuf, 0, 8, -1, userData(0, KIND_WAKE));
            wakeArmed = true;
            inFlight++;
        }
        if (cancelCount > 0) submitCancels();
        if (connectCount > 0) submitConnects();
        // Room is made before an entry leaves its queue: if that submit fails, it and those after it
        // stay queued for the next turn (a failed enter is ridden out or ends the loop, see WaitErrors).
        int i = 0;
        try {
            for (; i < armCount; i++) {
                Channel c = arm[i];
                boolean wanted = c.fd >= 0 && !c.armed && wantsArm(c);
                if (wanted) sqe();
                arm[i] = null;
                c.armListed = false;
                if (wanted) prepareArm(c);
            }
        } finally {
            armCount = keepQueued(arm, i, armCount);
        }
        i = 0;
        try {
            for (; i < sendCount; i++) {
                Connection k = send[i];
                boolean wanted = k.fd >= 0 && k.sending <= 0 && k.outStart < k.outEnd;
                if (wanted) sqe();
                send[i] = null;
                k.sendListed = false;
                if (wanted) prepareSend(k);
            }
        } finally {
            sendCount = keepQueued(send, i, sendCount);
        }
        // A burst mapped slabs past the first: look once a second whether they can go back.
        if (trimTimer == null && chunks.mappedBytes() > ChunkPool.SLAB_BYTES) {
            trimTimer = loop.schedule(1, TimeUnit.SECONDS, trimTask);
        }
    }

    /** Prepares a listener's multishot accept or a connection's receive, single-shot or multishot (an SQE is free). */
    private void prepareArm(Channel c) {
        long token = registry.token(c);
        if (c instanceof Listener) {
            long ud = userData(token, KIND_ACCEPT);
            if (!Faults.ENABLED || seam(Faults.Call.ACCEPT, c.fd, 0, ud) >= 0) {
                ring.prepAccept(c.fd, true, SocketConsts.CURRENT.SOCK_NONBLOCK() | SocketConsts.CURRENT.SOCK_CLOEXEC(), ud);
            }
        } else if (!Faults.ENABLED || seam(Faults.Call.READ, c.fd, 0, userData(token, KIND_RECV)) >= 0) {
            if (!((Connection) c).multishot) {
                // New, streaming, or it had to hold input: one buffer per receive, so that a pause
                // holds at most that buffer, not a multishot burst (native-notes/io_uring.md).
                ring.prepRecvSelect(c.fd, bufs.bgid, BUFFER_SIZE, 0, userData(token, KIND_RECV));
                singleArms++;
            } else {
                ring.prepRecvMultishot(c.fd, bufs.bgid, 0, userData(token, KIND_RECV));
            }
        }
        c.armed = true;
        c.ringOps++;
        inFlight++;
    }

    /** Prepares one SEND of the connection's queued output (an SQE is free). */
    private void prepareSend(Connection k) {
        ChunkQueue q = k.outq;
        int len = q.headLength();
        long ud = userData(registry.token(k), KIND_SEND);
        int n = Faults.ENABLED ? (int) seam(Faults.Call.WRITE, k.fd, len, ud) : len;
        if (n > 0) {
            len = n; // a short send made on purpose: the kernel really moves only n bytes
            ring.prepSend(k.fd, q.head(), q.headOffset(), len, MSG_NOSIGNAL, ud);
        }
        k.sending = len;
        k.sendWait = waits;
        k.ringOps++;
        inFlight++;
    }

    /**
     * A queue of {@code count} entries whose first {@code done} were handled (all of them, unless a
     * submit failed midway): moves the rest to the front, clears the tail, returns the new count.
     */
    private static int keepQueued(Object[] queue, int done, int count) {
        int left = count - done;
        if (left > 0) System.arraycopy(queue, done, queue, 0, left);
        Arrays.fill(queue, left, count, null);
        return left;
    }

    /**
     * Submits the queued connects: an IORING_OP_CONNECT each on the unconnected non-blocking
     * socket; the kernel waits for the handshake itself (it polls for POLLOUT and reads the socket
     * error) and completes with 0 or -errno. A connector closed before its turn has nothing in
     * flight (it was released at once): only its sockaddr is freed. When making room fails (the
     * SQ was full and its submit failed), the connects not yet prepared stay queued for the next turn.
     */
    private void submitConnects() throws NativeException {
        int i = 0;
        try {
            for (; i < connectCount; i++) {
                Connector k = connects[i];
                if (k.fd < 0) {
                    k.freeAddress();
                    continue;
                }
                sqe();
                long ud = userData(registry.token(k), KIND_CONNECT);
                if (!Faults.ENABLED || seam(Faults.Call.CONNECT, k.fd, 0, ud) >= 0) {
                    ring.prepConnect(k.fd, k.sockaddr, k.sockaddrLen, ud);
                }
                k.ringOps++;
                inFlight++;
            }
        } finally {
            connectCount = keepQueued(connects, i, connectCount);
        }
    }

    /**
     * Submits the queued cancels (room is made before an entry leaves the queue, as for arms): a
     * channel still retired (its fd not yet closed) gets an ASYNC_CANCEL of everything on its fd; a
     * live one still paused with its receive or accept in flight gets a cancel of that request.
     * Anything else (released, resumed, or already completed) needs nothing.
     */
    private void submitCancels() throws NativeException {
        int i = 0;
        try {
            for (; i < cancelCount; i++) {
                Channel c = cancels[i];
                boolean closing = c.closedFd >= 0;
                boolean pausing = !closing && c.fd >= 0 && c.armed && !c.wantRead;
                if (closing || pausing) sqe();
                cancels[i] = null;
                c.cancelListed = false;
                if (closing) {
                    ring.prep(OP_ASYNC_CANCEL, 0, 0, c.closedFd, 0, 0, 0, ASYNC_CANCEL_FD | ASYNC_CANCEL_ALL, 0,
                            userData(0, KIND_CANCEL));
                } else if (pausing) {
                    ring.prepCancel(userData(registry.token(c), c instanceof Listener ? KIND_ACCEPT : KIND_RECV), 0,
                            userData(0, KIND_CANCEL));
                }
            }
        } finally {
            cancelCount = keepQueued(cancels, i, cancelCount);
        }
    }

    private void cancelLater(Channel c) {
        if (c.cancelListed) return;
        c.cancelListed = true;
        if (cancelCount == cancels.length) cancels = Arrays.copyOf(cancels, cancelCount * 2);
        cancels[cancelCount++] = c;
    }

    private static boolean wantsArm(Channel c) {
        return c instanceof Connection k ? k.wantsInput() : c.wantRead;
    }

    /** Makes room for one SQE: when the submission queue is full, submits what it holds first. */
    private void sqe() throws NativeException {
        if (ring.pending() < ring.sqEntries) return;
        int r = ring.submit();
        enters++;
        if (r < 0 && r != -Errno.EINTR && r != -IoUringBusy()) throw Errno.exception("io_uring_enter", -r, "submit");
    }

    private static int IoUringBusy() {
        return io.github.ffmreactor.sys.IoUring.EBUSY;
    }

    @Override
    public int await(int timeoutMillis) throws NativeException {
        if (ring == null) return 0;
        int r = ring.submitAndWait(timeoutMillis == 0 ? 0 : 1, timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L);
        enters++;
        waits++;
        if (r < 0 && r != -ETIME && r != -Errno.EINTR && r != -IoUringBusy()) {
            throw Errno.exception("io_uring_enter", -r);
        }
        return ring.cqReady();
    }

    @Override
    public int deliver(int ready) {
        if (ring == null) return 0;
        int n = ring.drain(onCqe);
        completions += n;
        if (holderCount > 0) checkHolders();
        return n;
    }

    private void complete(long ud, int res, int flags) {
        if (Faults.ENABLED && faultCount > 0) res = faultResult(ud, res);
        int kind = (int) ((ud >>> 28) & 0xF);
        if (kind == KIND_CANCEL) return;
        if (kind == KIND_WAKE) {
            wakeArmed = false;
            inFlight--;
            return;
        }
        long token = ud & ~KIND_MASK;
        boolean more = (flags & CQE_F_MORE) != 0;
        Channel c = registry.lookup(token);
        boolean live = c != null;
        if (c == null) c = registry.retiredChannel(token);
        if (!more) {
            inFlight--;
            if (c != null) c.ringOps--;
        }
        if (c == null) {
            // A request of a channel already released: nothing of it is left to touch.
            counters.stale();
            if ((flags & CQE_F_BUFFER) != 0) bufs.recycle(UringBufRing.bufferId(flags));
            if (kind == KIND_ACCEPT && res >= 0) Fds.closeQuietly(res);
            return;
        }
        try {
            switch (kind) {
                case KIND_RECV -> received((Connection) c, live, res, flags, more);
                case KIND_SEND -> sentDone((Connection) c, live, res);
                case KIND_ACCEPT -> accepted((Listener) c, live, res, more);
                case KIND_CONNECT -> ((Connector) c).connectCompleted(res);
                default -> { }
            }
        } catch (Throwable t) {
            if (live) loop.failures.fail(c, t);
            else loop.failures.report(null, t);
        }
        if (!live && c.ringOps == 0) release(c);
    }

    private void received(Connection k, boolean live, int res, int flags, boolean more) {
        if (!more) k.armed = false;
        if ((flags & CQE_F_BUFFER) != 0) {
            int bid = UringBufRing.bufferId(flags);
            try {
                if (live && res > 0) k.received(bufSlices[bid], res);
            } finally {
                bufs.recycle(bid);
            }
        }
        if (!live) return;
        if (!k.multishot && !k.heldOnce && !more && res > 0) {
            // Nothing more was waiting, QUIET_RECEIVES times in a row: not a streaming peer, multishot from the next arm.
            k.quietReceives = (flags & CQE_F_SOCK_NONEMPTY) != 0 ? 0 : k.quietReceives + 1;
            if (k.quietReceives >= Connection.QUIET_RECEIVES) k.multishot = true;
        }
        if (res == 0) {
            k.receivedEnd();
        } else if (res < 0) {
            int errno = -res;
            if (errno == Errno.ENOBUFS) {
                noBuffers++; // the buffer ring ran dry: buffers were recycled above and in this drain
            } else if (errno != ECANCELED) {
                k.ioError("recv", errno);
                return;
            }
        }
        if (!more && k.fd >= 0 && k.wantsInput()) armLater(k);
    }

    private void sentDone(Connection k, boolean live, int res) {
        int asked = k.sending;
        k.sending = 0;
        if (!live) {
            k.outq.clear(); // closed while this SEND read its first chunk: now nothing reads them
            return;
        }
        if (res >= 0) {
            k.sent(res, asked);
        } else if (-res == Errno.EAGAIN || -res == Errno.EINTR) {
            wantSend(k);
        } else {
            k.ioError("send", -res);
        }
    }

    private void accepted(Listener l, boolean live, int res, boolean more) throws NativeException {
        if (!more) l.armed = false;
        if (!live) {
            if (res >= 0) Fds.closeQuietly(res);
            return;
        }
        l.completed(res);
        if (!more && l.fd >= 0 && l.wantRead) armLater(l);
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

    void watchHolding(Connection k) {
        if (holderCount == holders.length) holders = Arrays.copyOf(holders, holderCount * 2);
        holders[holderCount++] = k;
    }

    /**
     * A SEND that was submitted with a wait and is still in flight after it found no room in the
     * kernel (a SEND that fits completes within its io_uring_enter): its connection, holding input,
     * is now visibly paused, as a readiness engine's would be after a short write.
     */
    private void checkHolders() {
        int j = 0;
        for (int i = 0; i < holderCount; i++) {
            Connection k = holders[i];
            holders[i] = null;
            if (k.fd < 0 || !k.isHolding()) continue;
            if (k.sending > 0 && waits > k.sendWait) {
                k.holdingStuck();
                continue;
            }
            holders[j++] = k;
        }
        holderCount = j;
    }

    private void armLater(Channel c) {
        if (c.armListed) return;
        c.armListed = true;
        if (armCount == arm.length) arm = Arrays.copyOf(arm, armCount * 2);
        arm[armCount++] = c;
    }

    /** A connection has output queued: one SEND is submitted for it at the next prepare (if none is in flight). */
    void wantSend(Connection k) {
        if (k.sendListed || k.sending > 0) return;
        k.sendListed = true;
        if (sendCount == send.length) send = Arrays.copyOf(send, sendCount * 2);
        send[sendCount++] = k;
    }

    /**
     * Closing is a request: the channel's slot is retired (its completions are stale for delivery),
     * what it has in flight is cancelled, and the fd and slot are released at its last completion.
     */
    void retire(Channel c, int fd) {
        c.closedFd = fd;
        if (c.ringOps == 0 || ring == null) {
            release(c);
            return;
        }
        registry.retire(c);
        retired++;
        cancelLater(c); // at the next prepare, with the wait: a failed submit there keeps it queued
    }

    private void release(Channel c) {
        if (c.slot >= 0 && registry.retiredChannel(registry.token(c)) == c) retired--;
        Fds.closeQuietly(c.closedFd);
        c.closedFd = -1;
        registry.freeSlot(c);
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
        return new PollerStats(enters, completions, 0, wakeups, 0);
    }

    /** Receives that ended with ENOBUFS (the buffer ring ran dry) and were armed again. */
    long noBuffers() {
        return noBuffers;
    }

    /** Single-shot receives armed so far (new connections, streaming peers, those that had to hold input). */
    long singleArms() {
        return singleArms;
    }

    /** Channels closed whose requests are still in flight (their fd and slot not yet released). */
    int retiredChannels() {
        return retired;
    }

    /** io_uring_enter calls so far (waits and extra submits). */
    long enters() {
        return enters;
    }

    /**
     * Cancels everything still in flight and reaps the completions (at most about two seconds), so
     * that no request outlives the memory it reads or writes; then closes the ring. Memory a request
     * could still touch after that is left allocated rather than freed under the kernel.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        // Connects queued but never submitted (their connector closed with the loop): nothing reads their sockaddr.
        for (int i = 0; i < connectCount; i++) {
            connects[i].freeAddress();
            connects[i] = null;
        }
        connectCount = 0;
        // Cancels still queued: the cancel of everything below covers them.
        for (int i = 0; i < cancelCount; i++) {
            cancels[i].cancelListed = false;
            cancels[i] = null;
        }
        cancelCount = 0;
        boolean reaped = true;
        if (ring != null) {
            try {
                // If making room for the cancel fails (the SQ full and its submit failed), it is tried
                // again each round until the deadline: a lost cancel would leave multishot requests,
                // and so the fds and memory of closed channels, in flight until the deadline.
                boolean cancelled = false;
                int failedEnters = 0;
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (inFlight > 0 && System.nanoTime() < deadline) {
                    if (!cancelled) cancelled = cancelAll();
                    int r = ring.submitAndWait(1, 100_000_000L);
                    enters++;
                    if (r < 0 && r != -ETIME && r != -Errno.EINTR && r != -IoUringBusy() && ++failedEnters == 3) {
                        break; // not a passing failure: give up (memory a request could touch stays allocated)
                    }
                    ring.drain(onCqe);
                }
            } catch (RuntimeException e) {
                loop.failures.report(null, e);
            }
            reaped = inFlight == 0;
            bufs.close();
            ring.close();
            if (!reaped) {
                // Given up: the kernel ends what is left in the background, each request holding its
                // own reference to its file, so the fds of closed channels can go now (memory cannot).
                for (Channel c : registry.retiredChannels()) {
                    Fds.closeQuietly(c.closedFd);
                    c.closedFd = -1;
                }
            }
        }
        Unistd.close(Native.threadCallState(), evfd);
        if (reaped) {
            arena.close();
            chunks.close();
        }
    }

    /** At close: prepares one cancel of every request in flight; false (reported) if no room could be made. */
    private boolean cancelAll() {
        try {
            sqe();
        } catch (NativeException e) {
            loop.failures.report(null, e);
            return false;
        }
        ring.prep(OP_ASYNC_CANCEL, 0, 0, -1, 0, 0, 0, ASYNC_CANCEL_ANY | ASYNC_CANCEL_ALL, 0, userData(0, KIND_CANCEL));
        return true;
    }

    // ---- the fault seam (tests only: with Faults.ENABLED off, a static final, none of this runs) ----

    /** user_data of NOPs standing in for requests a fault rule failed, and the -errno each completes with. */
    private long[] faultUd;
    private int[] faultRes;
    private int faultCount;

    /**
     * Asks {@link Faults} about a request about to be prepared (an SQE is free): {@code len} (or
     * fewer bytes to move) to go ahead; or -1 when a rule fails it: then a NOP with the request's
     * user_data goes in instead, and its completion is rewritten to the rule's -errno when the
     * engine reads it. The request never reaches the kernel and its final completion has the
     * shape a real failure has (no F_MORE, no buffer), so the engine's accounting is unchanged.
     */
    private long seam(Faults.Call call, int fd, long len, long ud) {
        long f = Faults.request(call, fd, len);
        if (f >= 0) return f;
        ring.prepNop(ud);
        if (faultUd == null) {
            faultUd = new long[8];
            faultRes = new int[8];
        } else if (faultCount == faultUd.length) {
            faultUd = Arrays.copyOf(faultUd, faultCount * 2);
            faultRes = Arrays.copyOf(faultRes, faultCount * 2);
        }
        faultUd[faultCount] = ud;
        faultRes[faultCount++] = (int) f;
        return -1;
    }

    /** The completion of a NOP that stands in for a failed request gets the rule's -errno. */
    private int faultResult(long ud, int res) {
        for (int i = 0; i < faultCount; i++) {
            if (faultUd[i] != ud) continue;
            int r = faultRes[i];
            faultCount--;
            faultUd[i] = faultUd[faultCount];
            faultRes[i] = faultRes[faultCount];
            return r;
        }
        return res;
    }

    // ---- Poller: the registry's view ---------------------------------------------------------------

    @Override
    public Capabilities capabilities() {
        return CAPS;
    }

    @Override
    public void register(int fd, int interest, Trigger trigger, long token) throws NativeException {
        Channel c = registry.lookup(token);
        if (c instanceof Datagram) throw new UnsupportedOperationException(NO_UDP);
        if (c instanceof Connector k) {
            if (connectCount == connects.length) connects = Arrays.copyOf(connects, connectCount * 2);
            connects[connectCount++] = k;
            return;
        }
        modify(fd, interest, trigger, token);
    }

    @Override
    public void modify(int fd, int interest, Trigger trigger, long token) {
        Channel c = registry.lookup(token);
        if (c == null) return;
        c.wantRead = (interest & READ) != 0;
        if (c.wantRead && !c.armed) {
            armLater(c);
        } else if (!c.wantRead && c.armed && ring != null) {
            cancelLater(c); // at the next prepare, as a close's cancel is
        }
    }

    @Override
    public void deregister(int fd) {
        // Release goes through retire(); nothing is registered apart from the requests in flight.
    }

    @Override
    public int poll(int timeoutMillis) {
        throw new UnsupportedOperationException("io_uring: the loop waits through Engine.await");
    }

    @Override
    public long token(int i) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int ready(int i) {
        throw new UnsupportedOperationException();
    }
}
