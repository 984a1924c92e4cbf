package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import java.lang.foreign.MemorySegment;

/**
 * A connection's I/O as its engine does it: the one place a connection's output is written or
 * queued, and where its input is read (readiness) or received (completion). {@link Connection}
 * keeps the policy (limits, graceful close, the handler's callbacks) and calls these; the engine
 * supplies the implementation ({@link Engine#stream}). Loop thread only.
 */
sealed interface EngineStream permits ReadinessStream, RingStream {
    /** Bytes queued, not yet taken by the kernel. */
    long pending();

    /** The interest the connection has in its fd now ({@code Poller.READ}, {@code WRITE}, {@code HANGUP}). */
    int wantedInterest();

    /**
     * Writes or queues native {@code src[off, off+len)}, {@code len > 0}, on an open connection not
     * closing. False if the connection failed or was closed (its queue past the limit).
     */
    boolean write(MemorySegment src, long off, long len);

    /**
     * Writes {@code src[off, off+len)} ({@code len > 0}, native or heap) without copying it whole
     * into the queue: held until sent, then {@code release} (may be null) runs once on the loop
     * thread. True: the stream owns the release (sent, or run when the connection closes). False
     * (the connection failed or passed its limit): the release was not taken, and the caller runs it.
     */
    boolean writeReference(MemorySegment src, long off, long len, Runnable release);

    /** Writes what is queued now, if the engine writes at once (readiness); io_uring sends at the end of the turn anyway. */
    void flush();

    /** A readiness event (readiness engines only). */
    void ready(int ready) throws NativeException;

    /** The queue is empty: memory kept for a burst may go. */
    void drained();

    /** Output made progress; {@code resumed}: reading has just resumed after back-pressure. */
    void progressed(long pending, boolean resumed);

    /** Output is shut down and the connection lingers: input that is already waiting may be dropped now. */
    void lingerStarted();

    /** The connection closed: queued output is dropped and its memory released (or left to the kernel's last completion). */
    void closed();
}
