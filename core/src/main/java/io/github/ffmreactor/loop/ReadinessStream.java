package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.ERROR;
import static io.github.ffmreactor.poll.Poller.HANGUP;
import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.poll.Poller.WRITE;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import java.lang.foreign.MemorySegment;

/**
 * A connection on a readiness engine (epoll, kqueue, poll, select): told its fd is readable or
 * writable, it calls read(2) and write(2) itself. A write goes to the kernel at once; what the
 * kernel does not take is queued ({@link OutQueue}: copies, and segments written by reference) and
 * flushed when the fd turns writable. A connection that defers its flush queues every write and
 * is listed once on the engine's {@link PendingFlushes}, written with one write(2) or writev(2)
 * before the turn's wait.
 */
final class ReadinessStream implements EngineStream {
    private final Connection conn;
    private final PendingFlushes flushes;
    private final OutQueue q;
    /** On the loop's carry list (edge triggering, read budget used up). */
    boolean carried;
    /** On the engine's pending-flush list: its queue goes out before the wait, not on writability. */
    boolean flushListed;

    ReadinessStream(Connection conn, PendingFlushes flushes) {
        this.conn = conn;
        this.flushes = flushes;
        this.q = new OutQueue(conn);
    }

    Connection connection() {
        return conn;
    }

    @Override
    public long pending() {
        return q.pending();
    }

    @Override
    public int wantedInterest() {
        Connection c = conn;
        if (c.trigger == Trigger.EDGE) {
            // Registered once for everything: edges cost nothing while unused, and no epoll_ctl
            // is needed when output queues up or drains.
            return READ | WRITE | HANGUP;
        }
        int i = 0;
        if (c.lingering || (!c.readPaused && !c.inputClosed && !c.closing)) i |= READ | HANGUP;
        if (q.pending() > 0 && !flushListed) i |= WRITE;
        return i;
    }

    @Override
    public void ready(int ready) throws NativeException {
        Connection c = conn;
        // Listed: its queue goes out before the next wait (once per turn, within the quantum).
        if ((ready & WRITE) != 0 && q.pending() > 0 && !flushListed) writeQueued();
        if (c.fd < 0) return;
        if ((ready & (HANGUP | ERROR)) != 0) {
            if (c.inputClosed) {
                // Under edge triggering the interest keeps HANGUP, and the peer's half-close
                // (EPOLLRDHUP, EV_EOF on the read filter) rides on every later event of the fd: it
                // is not news, and the output still queued (a reply larger than the socket buffer)
                // goes on being flushed; a write to a peer that is really gone fails and closes.
                if ((ready & ERROR) == 0 && c.trigger == Trigger.EDGE) return;
                // Otherwise the interest no longer asks for the half-close, so this is the peer
                // gone both ways (EPOLLHUP: both directions shut; EPOLLERR: a reset). No write can
                // succeed, and level triggering would report it on every wait: close.
                // The event's own errno first (kqueue's fflags): libkqueue has consumed SO_ERROR.
                int err = (ready & ERROR) == 0 ? 0 : ReadinessEngine.errno(ready);
                if (err == 0 && (ready & ERROR) != 0) err = Tcp.soError(c.fd);
                c.closeNow(err != 0 ? Errno.exception("connection", err, "after end of input") : null);
                return;
            }
            if (c.closing && !c.lingering) {
                // Input is no longer read; the queued output decides: a write that fails closes.
                if (q.pending() > 0) writeQueued();
                return;
            }
            // The peer hung up or the socket failed: whatever it sent before is still in the
            // receive buffer. Read it all (up to EOF or the error) before anything closes.
            readInput(true);
        } else if ((ready & READ) != 0) {
            readInput(false);
        }
        if (c.trigger == Trigger.ONESHOT && c.fd >= 0) c.rearm();
    }

    /**
     * Reads and delivers input. Level triggering: one read per readiness. Edge triggering: reads
     * until the socket is drained (a short read or EAGAIN), at most readsPerTurn times, and carries
     * the connection to the next turn if more may be waiting. {@code drain}: until EOF or error.
     */
    void readInput(boolean drain) {
        Connection c = conn;
        EventLoop l = c.loop;
        MemorySegment buf = l.readBuf;
        long size = buf.byteSize();
        if (c.lingering) {
            discardInput();
            return;
        }
        int budget = drain ? Integer.MAX_VALUE : c.trigger == Trigger.EDGE ? l.options.readsPerTurn() : 1;
        for (int k = 0; ; k++) {
            if (c.fd < 0 || c.inputClosed || c.closing || (c.readPaused && !drain)) return;
            if (k == budget) {
                if (c.trigger == Trigger.EDGE) l.carried.add(this);
                return;
            }
            // Readiness without an error: the read that succeeds captures no errno (40 B per read
            // where C2 did not inline the capture adapter). Draining after a hang-up or an error,
            // capture it from the first read: a reset read once reads as end of stream after.
            long r = drain ? SocketIo.read(l.cs, c.fd, buf, 0, size) : SocketIo.readPlainFirst(l.cs, c.fd, buf, 0, size);
            l.counters.read(r);
            if (r > 0) {
                if (!c.deliver(buf, (int) r)) return;
                // A short read took everything the socket had; data arriving later raises a new
                // edge. Skipping the read that would return EAGAIN saves a syscall per message.
                if (r < size && !drain) return;
            } else if (r == 0) {
                c.endOfInput();
                return;
            } else if (r == -Errno.EAGAIN) {
                l.counters.eagain();
                return;
            } else if (r != -Errno.EINTR) {
                c.ioError(SocketIo.READ_CALL, (int) -r);
                return;
            }
        }
    }

    /**
     * Lingering close: output is shut down, and what the peer still sends (a request pipelined
     * after the last one) is read and dropped, so that closing never meets unread input, which
     * Linux answers with a reset that can destroy the response still in flight.
     */
    private void discardInput() {
        Connection c = conn;
        EventLoop l = c.loop;
        for (int k = 0; k < l.options.readsPerTurn(); k++) {
            long r = SocketIo.read(l.cs, c.fd, l.readBuf, 0, l.readBuf.byteSize());
            l.counters.read(r);
            if (r > 0) continue; // dropped
            if (r == -Errno.EAGAIN) {
                l.counters.eagain();
                return;
            } else if (r != -Errno.EINTR) {
                c.closeNow(null); // EOF (or the peer reset): everything written before was delivered or is moot
                return;
            }
        }
        if (c.trigger == Trigger.EDGE) l.carried.add(this);
    }

    @Override
    public boolean write(MemorySegment src, long off, long len) {
        Connection c = conn;
        EventLoop l = c.loop;
        if (q.isEmpty() && !c.deferFlush) {
            long w = SocketIo.write(l.cs, c.fd, src, off, len);
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
                c.ioError(SocketIo.WRITE_CALL, (int) -w);
                return false;
            }
        }
        if (!c.admit(q.pending() + len)) return false;
        boolean wasEmpty = q.isEmpty();
        q.copy(src, off, len);
        queued(len, wasEmpty);
        return true;
    }

    @Override
    public boolean writeReference(MemorySegment src, long off, long len, Runnable release) {
        Connection c = conn;
        EventLoop l = c.loop;
        boolean more = false;
        if (q.isEmpty() && !c.deferFlush) {
            // As far as the kernel takes it now, up to the turn's quantum: a native segment in
            // place, a heap one through the stage.
            for (long budget = OutQueue.QUANTUM; len > 0; ) {
                if (budget == 0) {
                    more = true;
                    break;
                }
                MemorySegment from = src;
                long at = off, n = Math.min(len, budget);
                if (!src.isNative()) {
                    from = l.stage.segment();
                    at = 0;
                    n = Math.min(n, from.byteSize());
                    MemorySegment.copy(src, off, from, 0, n);
                }
                long w = SocketIo.write(l.cs, c.fd, from, at, n);
                l.counters.write(w);
                if (w > 0) {
                    off += w;
                    len -= w;
                    budget -= w;
                    if (w < n) break;
                } else if (w == -Errno.EAGAIN) {
                    l.counters.eagain();
                    break;
                } else if (w != -Errno.EINTR) {
                    c.ioError(SocketIo.WRITE_CALL, (int) -w);
                    return false;
                }
            }
            if (len == 0) {
                if (release != null) Pieces.run(release, c);
                return true;
            }
        }
        if (!c.admit(q.pending() + len)) return false;
        boolean wasEmpty = q.isEmpty();
        q.reference(src, off, len, release);
        if (more) flushes.add(this); // writable still: no edge would say so
        queued(len, wasEmpty);
        return true;
    }

    /** {@code len} more bytes queued: list a deferred connection, and apply back-pressure. */
    private void queued(long len, boolean wasEmpty) {
        Connection c = conn;
        c.loop.counters.queued(len);
        // Listed when its queue starts; a queue that was not empty is listed already or waits for
        // writability, which flushes it all the same.
        if (wasEmpty && c.deferFlush) flushes.add(this);
        // Back-pressure: stop reading from this peer while its own queue is long, or while the
        // loop as a whole holds more queued output than its budget.
        if (c.overLimits(q.pending())) c.readPaused = true;
        c.updateInterest();
    }

    /**
     * Writes what is queued until the kernel takes no more or this turn's {@link OutQueue#QUANTUM}
     * is sent, then lets the connection react. Stopped by the quantum, the connection is listed to
     * go on before the next wait: the socket is still writable, so under edge triggering no new
     * edge would come.
     */
    private void writeQueued() {
        Connection c = conn;
        EventLoop l = c.loop;
        long budget = OutQueue.QUANTUM;
        while (q.pending() > 0) {
            if (budget == 0) {
                flushes.add(this);
                break;
            }
            long w = q.send(l, c.fd, budget);
            l.counters.write(w);
            if (w > 0) {
                budget -= w;
                l.counters.queued(-w);
                if (c.fd < 0) return; // a release closed it
            } else if (w == -Errno.EAGAIN) {
                l.counters.eagain();
                break;
            } else if (w != -Errno.EINTR) {
                c.ioError(q.lastCall(), (int) -w);
                return;
            }
        }
        c.afterOutput();
    }

    @Override
    public void flush() {
        if (conn.fd >= 0 && q.pending() > 0) writeQueued();
    }

    /** Its turn on the engine's pending-flush list, before the wait. */
    void flushFromList() {
        flushListed = false;
        flush();
    }

    @Override
    public void drained() {
        // Do not keep a burst-sized buffer for an idle connection.
        q.drained(conn.loop.options.pauseReadingAbove());
    }

    @Override
    public void progressed(long pending, boolean resumed) {
        // Data that arrived while paused raised no new edge: read it next turn.
        if (resumed && conn.trigger == Trigger.EDGE) conn.loop.carried.add(this);
    }

    @Override
    public void lingerStarted() {
        discardInput(); // input that arrived earlier raised its edge already
    }

    @Override
    public void closed() {
        q.closed();
    }
}
