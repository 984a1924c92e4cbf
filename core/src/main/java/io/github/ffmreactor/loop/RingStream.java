package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.READ;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.MemorySegment;

/**
 * A connection on the io_uring engine. Output is copied into a queue of {@link ChunkPool} chunks
 * (created at the first write, each chunk given back as it is sent: an idle connection holds none)
 * and sent by one SEND (one chunk) or SENDMSG (several) in flight, submitted with the next wait.
 * A segment written by reference waits in {@link Pieces} (with the copies written after it, in
 * their own chunks) and is copied into the send queue a chunk or two ahead of the kernel, then
 * released. Input arrives as completed receives into the engine's provided buffers; what
 * completes while reading is paused (its receive being
 * cancelled) is held in chunks until reading resumes. Also the engine's {@link RingState} of the
 * connection.
 */
final class RingStream extends RingState implements EngineStream {
    private final Connection conn;
    private final UringEngine engine;
    private ChunkQueue outq;
    /** Behind outq: references, and the copies written after one (their bytes in laterq). Null until a reference. */
    private Pieces later;
    private ChunkQueue laterq;
    /** How far ahead of the kernel a reference is copied into outq. */
    private static final int REFILL = 2 * ChunkPool.CHUNK;
    /** Bytes written and not yet sent (outq's size, until the connection closes). */
    private long queued;
    /** Bytes at outq's head in a SEND or SENDMSG the kernel has not completed (0: none). */
    int sending;
    /** The request in flight is a SENDMSG (of several chunks) rather than a SEND. */
    boolean sendVectored;
    /** This slot's SENDMSG vector ({@link SendVectors}), null before the first send of several chunks. */
    MemorySegment vector;
    /** The engine's wait count when the SEND in flight was submitted. */
    long sendWait;
    /** On the engine's list of connections with output to submit. */
    boolean sendListed;
    /** Input held while reading is paused, then the peer's EOF if heldEof. */
    private ChunkQueue heldq;
    private boolean heldEof;
    /**
     * Receives are multishot. Until then they are single-shot (one buffer each), so that a pause
     * catches at most one buffer in flight, not a multishot burst (32 buffers and more: up to
     * 1.5 MiB was seen held). A connection starts single-shot until the engine's quiet-receive
     * count of receives in a row leave its socket empty (no IORING_CQE_F_SOCK_NONEMPTY; a
     * request/response peer): then multishot from the next arm. One that ever had to hold input
     * (heldOnce) is single-shot for good.
     */
    boolean multishot;
    private boolean heldOnce;
    private int quietReceives;
    /** Input held (receive cancelled) until the queue, over the limits, has been sent once. */
    private boolean holding;

    RingStream(Connection conn, UringEngine engine) {
        super(conn);
        this.conn = conn;
        this.engine = engine;
    }

    Connection connection() {
        return conn;
    }

    @Override
    public long pending() {
        return queued;
    }

    /** Whether the engine should keep a receive armed. */
    boolean wantsInput() {
        Connection c = conn;
        return c.fd >= 0 && (c.lingering
                || (!c.readPaused && !holding && !c.inputClosed && !c.closing && !heldEof && heldBytes() == 0));
    }

    @Override
    public int wantedInterest() {
        return wantsInput() ? READ | HANGUP : 0;
    }

    @Override
    public void ready(int ready) {
        throw new IllegalStateException("io_uring delivers completions, not readiness");
    }

    /**
     * Copies into the queue; the engine submits one SEND per connection at the end of the turn.
     * Bytes not yet submitted are not "unsent" yet (the kernel has not been offered them), so over
     * the limits input is held, not visibly paused; a SEND that finds the kernel's buffer full
     * pauses it ({@link #sent}, {@link #holdingStuck}).
     */
    @Override
    public boolean write(MemorySegment src, long off, long len) {
        Connection c = conn;
        long pending = queued + len;
        if (!c.admit(pending)) return false;
        if (outq == null) outq = new ChunkQueue(engine.chunks());
        if (later != null && !later.isEmpty()) {
            if (laterq == null) laterq = new ChunkQueue(engine.chunks());
            if (!append(laterq, src, off, len)) return false;
            later.addCopy(len);
        } else if (!append(outq, src, off, len)) {
            return false;
        }
        queued = pending;
        c.loop.counters.queued(len);
        if (c.overLimits(pending)) startHolding();
        engine.wantSend(this);
        return true;
    }

    @Override
    public boolean writeReference(MemorySegment src, long off, long len, Runnable release) {
        Connection c = conn;
        long pending = queued + len;
        if (!c.admit(pending)) return false;
        if (outq == null) outq = new ChunkQueue(engine.chunks());
        if (later == null) later = new Pieces();
        later.addReference(src, off, len, release);
        queued = pending;
        c.loop.counters.queued(len);
        refill();
        if (c.fd < 0) return true; // no chunk for it: closed, and the release has run
        if (c.overLimits(pending)) startHolding();
        engine.wantSend(this);
        return true;
    }

    /** Sends go out at the end of the turn, with the wait: nothing to do sooner. */
    @Override
    public void flush() {
        // One SEND per connection is submitted with the turn's wait anyway.
    }

    /** Copies what waits behind outq into it, until it holds REFILL bytes; used-up references are released. */
    private void refill() {
        Pieces p = later;
        if (p == null) return;
        while (!p.isEmpty() && outq.size() < REFILL) {
            MemorySegment s = p.segment(0);
            long n = Math.min(p.length(0), REFILL - outq.size());
            if (s != null) {
                if (!append(outq, s, p.offset(0), n)) return;
            } else {
                for (long left = n; left > 0; ) {
                    int m = (int) Math.min(left, laterq.headLength());
                    if (!append(outq, laterq.head(), laterq.headOffset(), m)) return;
                    laterq.consume(m);
                    left -= m;
                }
            }
            p.consume(n);
        }
        p.runReleased(conn);
    }

    /** The queue the next SEND reads from (its head chunk); null before the first write. */
    ChunkQueue output() {
        return outq;
    }

    /** The kernel completed {@code n} of the {@code asked} bytes of the connection's SEND or SENDMSG. */
    void sent(int n, int asked) {
        Connection c = conn;
        c.loop.counters.write(n);
        c.loop.counters.queued(-n);
        queued -= n;
        outq.consume(n);
        refill();
        if (c.fd < 0) return;
        if (queued > 0) {
            // The rest goes in the next send. A short one: the kernel's buffer is full.
            engine.wantSend(this);
            if (n < asked && !c.readPaused && c.overLimits(queued)) {
                c.readPaused = true;
                c.updateInterest();
            }
        } else {
            c.afterOutput();
        }
    }

    /** The connection closed while a send read its first chunks: now nothing reads them. */
    void sendAbandoned() {
        outq.clear();
    }

    /**
     * {@code len} bytes arrived in a provided buffer (valid for this call). While lingering they
     * are dropped; after a graceful close began the handler hears nothing more.
     */
    void received(MemorySegment buf, int len) {
        Connection c = conn;
        if (c.lingering || c.closing || c.fd < 0) {
            c.loop.counters.read(len);
            return;
        }
        if (c.readPaused || holding || heldBytes() > 0) {
            hold(buf, len);
            return;
        }
        if (sending == 0 && queued > 0 && c.overLimits(queued)) {
            // Over the limits before the kernel was even offered the queue (that happens at the end
            // of the turn): hold input, and stop receiving, until the queue has been sent.
            startHolding();
            hold(buf, len);
            return;
        }
        c.loop.counters.read(len);
        c.deliver(buf, len);
    }

    /** A receive with data ended; {@code nonEmpty}: the kernel said more was waiting (a streaming peer). */
    void receiveEnded(boolean nonEmpty, int quietToMultishot) {
        if (multishot || heldOnce) return;
        quietReceives = nonEmpty ? 0 : quietReceives + 1;
        if (quietReceives >= quietToMultishot) multishot = true;
    }

    /** The peer's EOF. */
    void receivedEnd() {
        Connection c = conn;
        if (heldBytes() > 0 && !c.lingering && !c.closing) {
            heldEof = true; // after the held input
            return;
        }
        c.loop.counters.read(0);
        if (c.lingering) {
            c.closeNow(null);
        } else if (!c.inputClosed && !c.closing) {
            c.endOfInput();
        } else {
            c.inputClosed = true;
            c.updateInterest();
        }
    }

    private void startHolding() {
        if (holding) return;
        holding = true;
        multishot = false;
        heldOnce = true;
        engine.watchHolding(this);
        conn.updateInterest();
    }

    /** Input is held and the SEND in flight survived a wait (the kernel's buffer is full): paused. */
    void holdingStuck() {
        if (holding && !conn.readPaused && conn.fd >= 0) conn.readPaused = true;
    }

    boolean isHolding() {
        return holding;
    }

    /** Pool chunks this connection holds now (queued output and held input). */
    int chunks() {
        return (outq == null ? 0 : outq.chunks()) + (heldq == null ? 0 : heldq.chunks());
    }

    private long heldBytes() {
        return heldq == null ? 0 : heldq.size();
    }

    /**
     * Keeps input that arrived while paused, in pool chunks (not on the hot path: only between a
     * pause and its cancel, so at most what the kernel had already received). The provided buffer
     * goes back to the kernel at once, so paused connections never drain the buffer ring for the others.
     */
    private void hold(MemorySegment buf, int len) {
        if (heldq == null) heldq = new ChunkQueue(engine.chunks());
        append(heldq, buf, 0, len);
    }

    /**
     * Appends to one of this connection's chunk queues. No memory for a chunk (mmap failed) fails
     * this connection only: reported, counted and closed (UringConnectionMemoryTest: Faults.Call.MMAP).
     */
    private boolean append(ChunkQueue q, MemorySegment src, long off, long len) {
        try {
            q.append(src, off, len);
            return true;
        } catch (NativeException e) {
            conn.loop.failures.fail(conn, e);
            return false;
        }
    }

    /** Reading resumed: the held input goes to the handler first, in order, then a held EOF. */
    private void deliverHeld() {
        Connection c = conn;
        EventLoop l = c.loop;
        MemorySegment buf = l.readBuf;
        while (heldBytes() > 0 && !c.readPaused && !holding && c.fd >= 0 && !c.closing) {
            if (queued > 0 && c.overLimits(queued)) {
                startHolding(); // the rest after this queue has been sent
                break;
            }
            int n = 0; // as much as one read would give: up to the loop's read buffer
            while (n < buf.byteSize() && heldq.size() > 0) {
                int m = (int) Math.min(heldq.headLength(), buf.byteSize() - n);
                MemorySegment.copy(heldq.head(), heldq.headOffset(), buf, n, m);
                heldq.consume(m);
                n += m;
            }
            l.counters.read(n);
            if (!c.deliver(buf, n)) return;
        }
        if (heldBytes() == 0 && heldEof && c.fd >= 0 && !c.readPaused && !holding) {
            heldEof = false;
            receivedEnd();
        }
    }

    @Override
    public void drained() {
        // Chunks went back to the pool as they were sent.
    }

    @Override
    public void progressed(long pending, boolean resumed) {
        if (pending == 0) holding = false;
        if (!conn.readPaused && !holding && (heldBytes() > 0 || heldEof)) deliverHeld();
    }

    @Override
    public void lingerStarted() {
        // Input that arrived before comes as completions of the receive armed for the linger.
    }

    @Override
    public void closed() {
        queued = 0;
        // A send still in flight reads the first chunks; the engine empties the queue at its completion.
        if (outq != null && sending == 0) outq.clear();
        if (heldq != null) heldq.clear();
        if (laterq != null) laterq.clear();
        if (later != null) later.releaseAll(conn);
    }
}
