package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.poll.Poller.WRITE;

import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A stream fd on a loop: reads into the loop's buffer and hands the bytes to its {@link Handler};
 * writes directly, and queues what the kernel would not take until the fd turns writable.
 *
 * <p>Everything here runs on the loop thread; writes from another thread are refused with an
 * {@link IllegalStateException} (use {@link EventLoop#execute}), and only {@link #close()} may be
 * called from any thread.
 */
public final class Connection extends Channel {
    final Handler handler;
    private Object attachment;

    // Queued output: out[outStart, outEnd). Allocated on first need, in the connection's own arena.
    // io_uring: the bytes are in outq instead (out stays null); outEnd - outStart is its size.
    private Arena outArena;
    MemorySegment out;
    long outStart, outEnd;
    /**
     * io_uring: queued output in pool chunks (created at the first write, its chunks given back as
     * they are sent: an idle connection holds none).
     */
    ChunkQueue outq;
    /** io_uring: bytes at outq's head in a SEND the kernel has not completed (0: none). */
    int sending;
    /** io_uring: the engine's wait count when the SEND in flight was submitted. */
    long sendWait;
    /** io_uring: on the engine's list of connections with output to submit. */
    boolean sendListed;
    /**
     * io_uring: input that completed while reading was paused (the receive is being cancelled),
     * held in pool chunks until reading resumes, then the peer's EOF if heldEof.
     */
    private ChunkQueue heldq;
    private boolean heldEof;
    /**
     * io_uring: receives are multishot. Until then they are single-shot (one buffer each), so that a
     * pause catches at most one buffer in flight, not a multishot burst (32 buffers and more: up to
     * 1.5 MiB was seen held). A connection starts single-shot until {@link #QUIET_RECEIVES} receives
     * in a row leave its socket empty (no IORING_CQE_F_SOCK_NONEMPTY; a request/response peer): then
     * multishot from the next arm. One that ever had to hold input (heldOnce) is single-shot for good.
     */
    boolean multishot, heldOnce;
    int quietReceives;
    static final int QUIET_RECEIVES = 8;
    /** io_uring: input held (receive cancelled) until the queue, over the limits, has been sent once. */
    private boolean holding;

    private boolean readPaused;      // back-pressure: queued output above the limit
    private boolean inputClosed;     // the peer sent FIN (read returned 0)
    private boolean closing;         // closeAfterFlush: no more input for the handler, flush, then linger
    private boolean lingering;       // output shut down (FIN sent): reading and dropping until EOF
    private Timer lingerTimer;
    boolean carried;                 // on the loop's carry list (edge triggering, budget used up)

    Connection(EventLoop loop, int fd, Trigger trigger, Handler handler) {
        super(loop, fd, trigger);
        this.handler = handler;
    }

    /** What this connection wants from the poller now. */
    int wantedInterest() {
        if (trigger == Trigger.EDGE && loop.uring == null) {
            // Registered once for everything: edges cost nothing while unused, and no epoll_ctl
            // is needed when output queues up or drains.
            return READ | WRITE | HANGUP;
        }
        int i = 0;
        // io_uring: no receive while held input waits (none is ever held on the readiness engines).
        if (lingering || (!readPaused && !holding && !inputClosed && !closing && heldBytes() == 0)) i |= READ | HANGUP;
        if (outEnd > outStart) i |= WRITE;
        return i;
    }

    private void updateInterest() {
        if (fd < 0) return;
        int want = wantedInterest();
        if (want != interest) {
            try {
                loop.poller.modify(fd, want, trigger, loop.registry.token(this));
                interest = want;
            } catch (NativeException e) {
                loop.failures.fail(this, e);
            }
        }
    }

    @Override
    void ready(int ready) throws NativeException {
        if ((ready & WRITE) != 0 && outEnd > outStart) flush();
        if (fd < 0) return;
        if ((ready & (HANGUP | ERROR)) != 0) {
            if (inputClosed) {
                // Under edge triggering the interest keeps HANGUP, and the peer's half-close
                // (EPOLLRDHUP, EV_EOF on the read filter) rides on every later event of the fd: it
                // is not news, and the output still queued (a reply larger than the socket buffer)
                // goes on being flushed; a write to a peer that is really gone fails and closes.
                if ((ready & ERROR) == 0 && trigger == Trigger.EDGE) return;
                // Otherwise the interest no longer asks for the half-close, so this is the peer
                // gone both ways (EPOLLHUP: both directions shut; EPOLLERR: a reset). No write can
                // succeed, and level triggering would report it on every wait: close.
                peerGone(ready);
                return;
            }
            if (closing && !lingering) {
                // Input is no longer read; the queued output decides: a write that fails closes.
                if (outEnd > outStart) flush();
                return;
            }
            // The peer hung up or the socket failed: whatever it sent before is still in the
            // receive buffer. Read it all (up to EOF or the error) before anything closes.
            readInput(true);
        } else if ((ready & READ) != 0) {
            readInput(false);
        }
        if (trigger == Trigger.ONESHOT && fd >= 0) {
            interest = wantedInterest();
            loop.poller.modify(fd, interest, trigger, loop.registry.token(this));
        }
    }

    private void peerGone(int ready) throws NativeException {
        int err = (ready & ERROR) == 0 ? 0 : ReadinessEngine.errno(ready) != 0 ? ReadinessEngine.errno(ready) : Tcp.soError(fd);
        closeNow(err != 0 ? Errno.exception("connection", err, "after end of input") : null);
    }

    /**
     * Reads and delivers input. Level triggering: one read per readiness. Edge triggering: reads
     * until the socket is drained (a short read or EAGAIN), at most readsPerTurn times, and carries
     * the connection to the next turn if more may be waiting. {@code drain}: until EOF or error.
     */
    void readInput(boolean drain) {
        EventLoop l = loop;
        MemorySegment buf = l.readBuf;
        long size = buf.byteSize();
        if (lingering) {
            discardInput();
            return;
        }
        int budget = drain ? Integer.MAX_VALUE : trigger == Trigger.EDGE ? l.options.readsPerTurn() : 1;
        for (int k = 0; ; k++) {
            if (fd < 0 || inputClosed || closing || (readPaused && !drain)) return;
            if (k == budget) {
                if (trigger == Trigger.EDGE) l.carried.add(this);
                return;
            }
            // Readiness without an error: the read that succeeds captures no errno (40 B per read
            // where C2 did not inline the capture adapter). Draining after a hang-up or an error,
            // capture it from the first read: a reset read once reads as end of stream after.
            long r = drain ? SocketIo.read(l.cs, fd, buf, 0, size) : SocketIo.readPlainFirst(l.cs, fd, buf, 0, size);
            l.counters.read(r);
            if (r > 0) {
                if (!deliver(buf, (int) r)) return;
                // A short read took everything the socket had; data arriving later raises a new
                // edge. Skipping the read that would return EAGAIN saves a syscall per message.
                if (r < size && !drain) return;
            } else if (r == 0) {
                endOfInput();
                return;
            } else if (r == -Errno.EAGAIN) {
                l.counters.eagain();
                return;
            } else if (r != -Errno.EINTR) {
                ioError(SocketIo.READ_CALL, (int) -r);
                return;
            }
        }
    }

    /**
     * Delivers {@code len} received bytes (valid for this call only) to the handler: the engine's
     * way in for input, however the bytes were obtained (read(2) after readiness here; a completed
     * receive in a completion engine). With {@link #endOfInput()} and {@link #ioError} it is all an
     * engine needs to feed a connection. False if the handler failed (the connection is closed).
     */
    boolean deliver(MemorySegment buf, int len) {
        try {
            handler.onData(this, buf, len);
            return true;
        } catch (Throwable t) {
            loop.failures.fail(this, t);
            return false;
        }
    }

    /**
     * io_uring: {@code len} bytes arrived in a provided buffer (valid for this call). While lingering
     * they are dropped; after a graceful close began the handler hears nothing more.
     */
    void received(MemorySegment buf, int len) {
        if (lingering || closing || fd < 0) {
            loop.counters.read(len);
            return;
        }
        if (readPaused || holding || heldBytes() > 0) {
            hold(buf, len);
            return;
        }
        if (sending == 0 && outEnd > outStart && overLimits(outEnd - outStart)) {
            // Over the limits before the kernel was even offered the queue (that happens at the end
            // of the turn): hold input, and stop receiving, until the queue has been sent.
            startHolding();
            hold(buf, len);
            return;
        }
        loop.counters.read(len);
        deliver(buf, len);
    }

    private void startHolding() {
        if (holding) return;
        holding = true;
        multishot = false;
        heldOnce = true;
        loop.uring.watchHolding(this);
        updateInterest();
    }

    /** io_uring: input is held and the SEND in flight survived a wait (the kernel's buffer is full): paused. */
    void holdingStuck() {
        if (holding && !readPaused && fd >= 0) readPaused = true;
    }

    boolean isHolding() {
        return holding;
    }

    /** io_uring: pool chunks this connection holds now (queued output and held input). */
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
        if (heldq == null) heldq = new ChunkQueue(loop.uring.chunks());
        append(heldq, buf, 0, len);
    }

    /**
     * io_uring: appends to one of this connection's chunk queues. No memory for a chunk (mmap
     * failed) fails this connection only: reported, counted and closed (UringConnectionMemoryTest: Faults.Call.MMAP).
     */
    private boolean append(ChunkQueue q, MemorySegment src, long off, long len) {
        try {
            q.append(src, off, len);
            return true;
        } catch (NativeException e) {
            loop.failures.fail(this, e);
            return false;
        }
    }

    /** Reading resumed: the held input goes to the handler first, in order, then a held EOF. */
    private void deliverHeld() {
        EventLoop l = loop;
        MemorySegment buf = l.readBuf;
        while (heldBytes() > 0 && !readPaused && !holding && fd >= 0 && !closing) {
            if (outEnd > outStart && overLimits(outEnd - outStart)) {
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
            if (!deliver(buf, n)) return;
        }
        if (heldBytes() == 0 && heldEof && fd >= 0 && !readPaused && !holding) {
            heldEof = false;
            receivedEnd();
        }
    }

    /** io_uring: the peer's EOF. */
    void receivedEnd() {
        if (heldBytes() > 0 && !lingering && !closing) {
            heldEof = true; // after the held input
            return;
        }
        loop.counters.read(0);
        if (lingering) {
            closeNow(null);
        } else if (!inputClosed && !closing) {
            endOfInput();
        } else {
            inputClosed = true;
            updateInterest();
        }
    }

    /** io_uring: the kernel completed {@code n} of the {@code asked} bytes of the connection's SEND. */
    void sent(int n, int asked) {
        loop.counters.write(n);
        loop.counters.queued(-n);
        outStart += n;
        outq.consume(n);
        if (outStart < outEnd) {
            // The rest goes in the next SEND (one per chunk). A short one: the kernel's buffer is full.
            loop.uring.wantSend(this);
            if (n < asked && !readPaused && overLimits(outEnd - outStart)) {
                readPaused = true;
                updateInterest();
            }
        } else {
            afterOutput();
        }
    }

    /** io_uring: whether the engine should keep a receive armed. */
    boolean wantsInput() {
        return fd >= 0 && (lingering || (!readPaused && !holding && !inputClosed && !closing && !heldEof && heldBytes() == 0));
    }

    /**
     * Lingering close: output is shut down, and what the peer still sends (a request pipelined
     * after the last one) is read and dropped, so that closing never meets unread input, which
     * Linux answers with a reset that can destroy the response still in flight.
     */
    private void discardInput() {
        EventLoop l = loop;
        for (int k = 0; k < l.options.readsPerTurn(); k++) {
            long r = SocketIo.read(l.cs, fd, l.readBuf, 0, l.readBuf.byteSize());
            l.counters.read(r);
            if (r > 0) continue; // dropped
            if (r == -Errno.EAGAIN) {
                l.counters.eagain();
                return;
            } else if (r != -Errno.EINTR) {
                closeNow(null); // EOF (or the peer reset): everything written before was delivered or is moot
                return;
            }
        }
        if (trigger == Trigger.EDGE) l.carried.add(this);
    }

    /**
     * A read or write failed. A peer that resets or vanishes (ECONNRESET, EPIPE, ETIMEDOUT) is
     * ordinary network life: the handler's onClose hears the cause. Any other errno is a
     * failure: reported once and counted.
     */
    void ioError(String call, int errno) {
        NativeException e = Errno.exception(call, errno);
        if (errno == Errno.ECONNRESET || errno == Errno.EPIPE || errno == Errno.ETIMEDOUT
                || errno == Errno.ECONNABORTED || errno == Errno.EHOSTUNREACH || errno == Errno.ENETUNREACH) {
            closeNow(e);
        } else {
            loop.failures.fail(this, e);
        }
    }

    void endOfInput() {
        inputClosed = true;
        updateInterest();
        try {
            handler.onInputClosed(this);
        } catch (Throwable t) {
            loop.failures.fail(this, t);
        }
    }

    /**
     * Writes {@code src[off, off+len)}: directly if nothing is queued, and queues (copies) what the
     * kernel did not take. Returns false if the connection is closed, or was closed because its
     * queued output passed the loop's limit (a peer that does not read).
     *
     * <p>Loop thread only, as every {@code write} and {@link #closeAfterFlush()}: the queue and the
     * loop's staging buffer are the loop thread's, and a write racing it could send one peer's
     * bytes to another. From another thread these throw {@link IllegalStateException} (before the
     * loop has a thread, any thread may write); hand the write to the loop instead:
     * {@code loop.execute(() -> c.write(bytes))}, with bytes the task owns. {@link #close()} is
     * safe from any thread.
     *
     * @throws IllegalStateException called from a thread other than the loop's
     */
    public boolean write(MemorySegment src, long off, long len) {
        loop.tasks.checkInLoop("Connection.write");
        return writeOnLoop(src, off, len);
    }

    private boolean writeOnLoop(MemorySegment src, long off, long len) {
        if (fd < 0 || closing) return false;
        if (len == 0) return true;
        if (!src.isNative()) return writeHeap(null, src, off, len);
        EventLoop l = loop;
        if (l.uring != null) return writeRing(src, off, len);
        if (outEnd == outStart) {
            long w = SocketIo.write(l.cs, fd, src, off, len);
            l.counters.write(w);
            if (w == len) {
                return true;
            }
            if (w >= 0) {
                off += w;
                len -= w;
            } else if (w == -Errno.EAGAIN) {
                l.counters.eagain();
            } else if (w != -Errno.EINTR) {
                ioError(SocketIo.WRITE_CALL, (int) -w);
                return false;
            }
        }
        long pending = outEnd - outStart + len;
        if (pending > l.options.closeAbove()) {
            closeNow(new IOException("queued output would reach " + pending + " bytes, over the limit of "
                    + l.options.closeAbove() + ": the peer is not reading"));
            return false;
        }
        enqueue(src, off, len);
        l.counters.queued(len);
        // Back-pressure: stop reading from this peer while its own queue is long, or while the
        // loop as a whole holds more queued output than its budget.
        if (pending > l.options.pauseReadingAbove() || l.counters.queuedOutput() > l.options.outputBudget()) readPaused = true;
        updateInterest();
        return true;
    }

    /**
     * io_uring: copies into the queue; the engine submits one SEND per connection at the end of the
     * turn. Bytes not yet submitted are not "unsent" yet (the kernel has not been offered them), so
     * over the limits input is held, not visibly paused; a SEND that finds the kernel's buffer full
     * pauses it (sent(), UringEngine.checkHolders).
     */
    private boolean writeRing(MemorySegment src, long off, long len) {
        EventLoop l = loop;
        long pending = outEnd - outStart + len;
        if (pending > l.options.closeAbove()) {
            closeNow(new IOException("queued output would reach " + pending + " bytes, over the limit of "
                    + l.options.closeAbove() + ": the peer is not reading"));
            return false;
        }
        if (outq == null) outq = new ChunkQueue(l.uring.chunks());
        if (!append(outq, src, off, len)) return false;
        outEnd += len;
        l.counters.queued(len);
        if (overLimits(pending)) startHolding();
        l.uring.wantSend(this);
        return true;
    }

    /** Back-pressure: this peer's own queue is long, or the loop as a whole holds more than its budget. */
    private boolean overLimits(long pending) {
        return pending > loop.options.pauseReadingAbove() || loop.counters.queuedOutput() > loop.options.outputBudget();
    }

    /** Writes all of {@code src}. */
    public boolean write(MemorySegment src) {
        return write(src, 0, src.byteSize());
    }

    /** Bytes of heap input copied to the loop's native stage per write(2). */
    static final int STAGE_SIZE = 64 * 1024;

    /**
     * Writes {@code src[off, off+len)} as {@link #write(MemorySegment, long, long)} does. The bytes
     * go to the kernel through the loop's native staging buffer (no allocation); what the kernel
     * does not take is queued. The array may be reused as soon as this returns.
     */
    public boolean write(byte[] src, int off, int len) {
        loop.tasks.checkInLoop("Connection.write");
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        if (fd < 0 || closing) return false;
        return len == 0 || writeHeap(src, null, off, len);
    }

    /** Writes all of {@code src}. */
    public boolean write(byte[] src) {
        return write(src, 0, src.length);
    }

    /**
     * Writes {@code src}'s remaining bytes (heap, direct or read-only) and, when it returns true,
     * advances its position to its limit: every byte was either taken by the kernel or queued.
     * A direct buffer is staged like a heap one; to write native memory with no copy at all, keep
     * a {@code MemorySegment.ofBuffer(buf)} and use {@link #write(MemorySegment, long, long)}.
     */
    public boolean write(java.nio.ByteBuffer src) {
        loop.tasks.checkInLoop("Connection.write");
        int pos = src.position(), end = src.limit();
        if (src.hasArray()) {
            if (!write(src.array(), src.arrayOffset() + pos, end - pos)) return false;
        } else {
            if (fd < 0 || closing) return false;
            MemorySegment stage = loop.stage.segment();
            java.nio.ByteBuffer view = loop.stage.view();
            for (int p = pos; p < end; ) {
                int n = Math.min(end - p, STAGE_SIZE);
                view.put(0, src, p, n);
                if (!writeOnLoop(stage, 0, n)) return false;
                p += n;
            }
        }
        src.position(end);
        return true;
    }

    /**
     * Heap bytes ({@code array}, or else the heap segment {@code seg}) in stage-sized chunks:
     * write(2) needs a native address, and linking a heap-capable downcall would put a segment
     * argument back on the hot path (native-notes/ffm.md). Each chunk then takes the native path,
     * which queues what the kernel leaves.
     */
    private boolean writeHeap(byte[] array, MemorySegment seg, long off, long len) {
        if (seg != null) java.util.Objects.checkFromIndexSize(off, len, seg.byteSize());
        MemorySegment stage = loop.stage.segment();
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(len - done, STAGE_SIZE);
            if (array != null) {
                MemorySegment.copy(array, (int) (off + done), stage, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
            } else {
                MemorySegment.copy(seg, off + done, stage, 0, n);
            }
            if (!writeOnLoop(stage, 0, n)) return false;
            done += n;
        }
        return true;
    }

    private void enqueue(MemorySegment src, long off, long len) {
        long pending = outEnd - outStart;
        if (out == null || outEnd + len > out.byteSize()) {
            long cap = out == null ? 0 : out.byteSize();
            if (pending + len <= cap) {
                MemorySegment.copy(out, outStart, out, 0, pending);
            } else {
                long newCap = Math.max(16 * 1024, Long.highestOneBit(pending + len - 1) << 1);
                Arena a = Arena.ofConfined();
                MemorySegment n = a.allocate(newCap, 64);
                if (pending > 0) MemorySegment.copy(out, outStart, n, 0, pending);
                if (outArena != null) outArena.close();
                outArena = a;
                out = n;
            }
            outStart = 0;
            outEnd = pending;
        }
        MemorySegment.copy(src, off, out, outEnd, len);
        outEnd += len;
    }

    private void flush() {
        EventLoop l = loop;
        while (outStart < outEnd) {
            long w = SocketIo.write(l.cs, fd, out, outStart, outEnd - outStart);
            l.counters.write(w);
            if (w > 0) {
                l.counters.queued(-w);
                outStart += w;
            } else if (w == -Errno.EAGAIN) {
                l.counters.eagain();
                break;
            } else if (w != -Errno.EINTR) {
                ioError(SocketIo.WRITE_CALL, (int) -w);
                return;
            }
        }
        afterOutput();
    }

    /** Output made progress (a write, a completed SEND): drained, lingering close, resumed reading, onDrained. */
    void afterOutput() {
        EventLoop l = loop;
        long pending = outEnd - outStart;
        if (pending == 0) {
            outStart = outEnd = 0;
            if (out != null && out.byteSize() > l.options.pauseReadingAbove()) {
                // Do not keep a burst-sized buffer for an idle connection.
                outArena.close();
                outArena = null;
                out = null;
            }
            if (closing) {
                startLinger();
                return;
            }
        }
        if (readPaused && pending <= l.options.pauseReadingAbove() / 2) {
            readPaused = false;
            // Data that arrived while paused raised no new edge: read it next turn.
            if (trigger == Trigger.EDGE && l.uring == null) l.carried.add(this);
        }
        if (pending == 0) holding = false;
        if (l.uring != null && !readPaused && !holding && (heldBytes() > 0 || heldEof)) deliverHeld();
        updateInterest();
        if (pending == 0) {
            try {
                handler.onDrained(this);
            } catch (Throwable t) {
                l.failures.fail(this, t);
            }
        }
    }

    /** Bytes queued, not yet taken by the kernel. */
    public long pendingOutput() {
        return outEnd - outStart;
    }

    /** Whether reading is paused by back-pressure. */
    public boolean isReadPaused() {
        return readPaused;
    }

    /** Whether the peer has shut down its output. */
    public boolean isInputClosed() {
        return inputClosed;
    }

    /**
     * Closes gracefully: the handler gets no more input; what is queued is written; then output
     * is shut down (the peer reads EOF after the last byte), and whatever the peer still sends is
     * read and dropped until it closes too, or {@link LoopOptions#lingerMillis()} runs out. Only
     * then is the fd closed, so no response is lost to a reset. Loop thread only (see
     * {@link #write(MemorySegment, long, long)}).
     *
     * @throws IllegalStateException called from a thread other than the loop's
     */
    public void closeAfterFlush() {
        loop.tasks.checkInLoop("Connection.closeAfterFlush");
        if (fd < 0 || closing) return;
        closing = true;
        if (outEnd == outStart) startLinger();
        else updateInterest();
    }

    /** All output is with the kernel: send FIN after it, and drain input until the peer's EOF. */
    private void startLinger() {
        if (inputClosed) {
            closeNow(null); // the peer's EOF was read: nothing unread can be waiting
            return;
        }
        EventLoop l = loop;
        if (SocketIo.shutdown(l.cs, fd, io.github.ffmreactor.sys.SocketConsts.CURRENT.SHUT_WR()) < 0) {
            closeNow(null); // ENOTCONN: the peer is already gone
            return;
        }
        lingering = true;
        lingerTimer = l.schedule(l.options.lingerMillis(), java.util.concurrent.TimeUnit.MILLISECONDS, () -> closeNow(null));
        updateInterest();
        if (fd >= 0 && l.uring == null) discardInput(); // input that arrived earlier raised its edge already
    }

    /** Whether a graceful close is under way ({@link #closeAfterFlush()}). */
    public boolean isClosing() {
        return closing;
    }

    /** Shuts down output now (sends FIN); anything still queued is not sent. */
    public void shutdownOutput() throws NativeException {
        if (fd >= 0) Tcp.shutdownOutput(fd);
    }

    public InetSocketAddress remoteAddress() throws NativeException {
        if (fd < 0) throw new IllegalStateException("connection closed");
        return Tcp.remoteAddress(fd);
    }

    public InetSocketAddress localAddress() throws NativeException {
        if (fd < 0) throw new IllegalStateException("connection closed");
        return Tcp.localAddress(fd);
    }

    @Override
    void closeNow(Throwable cause) {
        if (fd < 0) return;
        loop.registry.release(this);
        loop.counters.queued(-(outEnd - outStart));
        if (lingerTimer != null) lingerTimer.cancel();
        if (outArena != null) {
            outArena.close();
            outArena = null;
            out = null;
        }
        outStart = outEnd = 0;
        // io_uring: a SEND still in flight reads the first chunk; the engine empties the queue at its completion.
        if (outq != null && sending == 0) outq.clear();
        if (heldq != null) heldq.clear();
        try {
            handler.onClose(this, cause);
        } catch (Throwable t) {
            loop.failures.report(this, t);
        }
    }

    /**
     * Keeps the user's state for this connection (a parser, a session), replacing what was attached.
     * Loop thread only, like everything on it.
     *
     * <p>Why a typed getter and not a public field or a type parameter: a field let any code
     * swap the state and left every read an unchecked cast; a type parameter on the connection
     * would reach into every handler signature for one slot. {@link #attachment(Class)} names
     * the expected type at the read, and a wrong guess fails there with that type in the
     * message. Neither call allocates.
     *
     * @param state the state, or null to drop it
     */
    public void attach(Object state) {
        attachment = state;
    }

    /**
     * The attached state as {@code type}.
     *
     * @param <T>  the state's type
     * @param type the type it was attached as (or a supertype)
     * @return the state, or null if none is attached
     * @throws ClassCastException naming both types if the state is of another type
     */
    public <T> T attachment(Class<T> type) {
        return Channel.attachmentAs(attachment, type);
    }
}
