package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.SocketConsts;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A stream fd on a loop: hands the bytes that arrive to its {@link Handler}; writes directly, and
 * queues what the kernel would not take until it can. How bytes move is its engine's business (a
 * stream it supplies); this class keeps the policy: limits, the graceful close, the callbacks.
 *
 * <p>Everything here runs on the loop thread; writes from another thread are refused with an
 * {@link IllegalStateException} (use {@link EventLoop#execute}), and only {@link #close()} may be
 * called from any thread.
 */
public final class Connection extends Channel {
    final Handler handler;
    /** The engine's side of this connection: the one place its output is written or queued. */
    final EngineStream stream;
    boolean readPaused;      // back-pressure: queued output above the limit
    boolean inputClosed;     // the peer sent FIN (read returned 0)
    boolean closing;         // closeAfterFlush: no more input for the handler, flush, then linger
    boolean lingering;       // output shut down (FIN sent): reading and dropping until EOF
    boolean deferFlush;      // writes queue until the end of the turn (deferFlush)
    private Timer lingerTimer;

    Connection(EventLoop loop, int fd, Trigger trigger, Handler handler) {
        super(loop, fd, trigger);
        this.handler = handler;
        this.stream = loop.engine.stream(this);
    }

    /** Tells the engine what this connection wants now, if that changed. */
    void updateInterest() {
        if (fd < 0) return;
        int want = stream.wantedInterest();
        if (want != interest) {
            try {
                loop.engine.interest(this, want);
                interest = want;
            } catch (NativeException e) {
                loop.failures.fail(this, e);
            }
        }
    }

    /** Oneshot triggering: asks again after each event, changed or not. */
    void rearm() throws NativeException {
        int want = stream.wantedInterest();
        loop.engine.interest(this, want);
        interest = want;
    }

    @Override
    void ready(int ready) throws NativeException {
        stream.ready(ready);
    }

    /**
     * Delivers {@code len} received bytes (valid for this call only) to the handler: with
     * {@link #endOfInput()} and {@link #ioError} all an engine needs to feed a connection, however
     * it got the bytes. False if the handler failed (the connection is closed).
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
     * A read or write failed. A peer that resets or vanishes (ECONNRESET, EPIPE, ETIMEDOUT) is network
     * life: the handler's onClose hears the cause. Any other errno is a failure: reported and counted.
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

    /** Whether {@code pending} queued bytes are allowed; past closeAbove the connection is closed (a peer that does not read). */
    boolean admit(long pending) {
        if (pending <= loop.options.closeAbove()) return true;
        closeNow(new IOException("queued output would reach " + pending + " bytes, over the limit of "
                + loop.options.closeAbove() + ": the peer is not reading"));
        return false;
    }

    /** Back-pressure: this peer's own queue is long, or the loop as a whole holds more than its budget. */
    boolean overLimits(long pending) {
        return pending > loop.options.pauseReadingAbove() || loop.counters.queuedOutput() > loop.options.outputBudget();
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

    boolean writeOnLoop(MemorySegment src, long off, long len) {
        if (fd < 0 || closing) return false;
        if (len == 0) return true;
        if (!src.isNative()) return loop.stage.write(this, null, src, off, len);
        return stream.write(src, off, len);
    }

    /** Writes all of {@code src}. */
    public boolean write(MemorySegment src) {
        return write(src, 0, src.byteSize());
    }

    /**
     * Writes {@code src[off, off+len)} as {@link #write(MemorySegment, long, long)} does. The bytes
     * go to the kernel through the loop's native staging buffer (no allocation); what the kernel
     * does not take is queued. The array may be reused as soon as this returns.
     */
    public boolean write(byte[] src, int off, int len) {
        loop.tasks.checkInLoop("Connection.write");
        Objects.checkFromIndexSize(off, len, src.length);
        if (fd < 0 || closing) return false;
        return len == 0 || loop.stage.write(this, src, null, off, len);
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
    public boolean write(ByteBuffer src) {
        loop.tasks.checkInLoop("Connection.write");
        int pos = src.position(), end = src.limit();
        if (src.hasArray()) {
            if (!write(src.array(), src.arrayOffset() + pos, end - pos)) return false;
        } else if (fd < 0 || closing || !loop.stage.write(this, src, pos, end)) {
            return false;
        }
        src.position(end);
        return true;
    }

    /**
     * Writes {@code src}'s bytes without copying them into the queue: the loop holds {@code src}
     * until the kernel has taken its last byte, or until the connection closes (an error, the
     * output limit, {@link EventLoop#stop}, the loop closing), and then runs {@code release}
     * (null: nothing to run) exactly once, on the loop thread. It also runs, before this returns
     * false, when the write is refused. Until then {@code src} must stay valid and unchanged. A
     * native segment is sent in place (writev(2) beside other queued output); a heap one (a
     * {@code byte[]} a cache holds) goes through the loop's staging buffer a part at a time as
     * the peer reads, never copied whole. Its bytes count as {@link #pendingOutput()}, for
     * back-pressure and the {@link LoopOptions#closeAbove()} limit, as a copy's would. On
     * io_uring the next part is copied into the connection's send chunks only as earlier ones are
     * sent, and {@code release} runs once the last part is copied (or the connection closed).
     * Loop thread only, as {@link #write(MemorySegment, long, long)}.
     */
    public boolean writeReference(MemorySegment src, Runnable release) {
        loop.tasks.checkInLoop("Connection.writeReference");
        long len = src.byteSize();
        boolean open = fd >= 0 && !closing;
        if (open && len > 0 && stream.writeReference(src, 0, len, release)) return fd >= 0;
        if (release != null) Pieces.run(release, this);
        return open && fd >= 0 && len == 0;
    }

    /**
     * Defers this connection's writes to the end of the loop's turn (default off: each write
     * goes to the kernel at once). On: a write on a readiness backend makes no syscall; it is
     * queued (copied), and before the turn's wait everything the turn wrote goes out in one
     * write(2), or one writev(2) when it spans pieces (copies and {@link #writeReference}
     * segments), as Redis writes its clients' replies. Many replies to one read, or replies made
     * by timers and tasks, then cost one syscall. On io_uring writes already go out at the end of
     * the turn (one SEND submitted with the wait), so the setting is accepted and changes nothing.
     * Turning it off writes what is queued now. Loop thread only.
     */
    public void deferFlush(boolean on) {
        loop.tasks.checkInLoop("Connection.deferFlush");
        deferFlush = on;
        if (!on) flush();
    }

    /** Whether writes wait for the end of the turn ({@link #deferFlush}). */
    public boolean isFlushDeferred() {
        return deferFlush;
    }

    /**
     * Writes what is queued now, not at the end of the turn (a deferred connection whose reply
     * must go out before something else happens). False if the connection is closed. On io_uring
     * the send is still submitted with the turn's wait. Loop thread only.
     */
    public boolean flush() {
        loop.tasks.checkInLoop("Connection.flush");
        if (fd >= 0) stream.flush();
        return fd >= 0;
    }

    /** Output made progress (a write, a completed SEND): drained, lingering close, resumed reading, onDrained. */
    void afterOutput() {
        EventLoop l = loop;
        long pending = stream.pending();
        if (pending == 0) {
            stream.drained();
            if (closing) {
                startLinger();
                return;
            }
        }
        boolean resumed = readPaused && pending <= l.options.pauseReadingAbove() / 2;
        if (resumed) readPaused = false;
        stream.progressed(pending, resumed);
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
        return stream.pending();
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
        if (stream.pending() == 0) startLinger();
        else updateInterest();
    }

    /** All output is with the kernel: send FIN after it, and drain input until the peer's EOF. */
    private void startLinger() {
        if (inputClosed) {
            closeNow(null); // the peer's EOF was read: nothing unread can be waiting
            return;
        }
        EventLoop l = loop;
        if (SocketIo.shutdown(l.cs, fd, SocketConsts.CURRENT.SHUT_WR()) < 0) {
            closeNow(null); // ENOTCONN: the peer is already gone
            return;
        }
        lingering = true;
        lingerTimer = l.schedule(l.options.lingerMillis(), TimeUnit.MILLISECONDS, () -> closeNow(null));
        updateInterest();
        if (fd >= 0) stream.lingerStarted();
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
        loop.counters.queued(-stream.pending());
        if (lingerTimer != null) lingerTimer.cancel();
        stream.closed();
        try {
            handler.onClose(this, cause);
        } catch (Throwable t) {
            loop.failures.report(this, t);
        }
    }
}
