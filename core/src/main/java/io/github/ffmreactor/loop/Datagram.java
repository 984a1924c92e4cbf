package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.DatagramBatch;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.net.Udp;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Mmsg;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A UDP socket on a loop. Registered level-triggered; nothing is allocated per datagram.
 *
 * <p>On Linux datagrams arrive in batches: one recvmmsg takes up to {@link DatagramOptions#batch()}
 * of them into buffers, sender addresses and control space allocated once for this socket, and
 * each readiness makes at most {@code readsPerTurn} such calls (fairness: the poller reports the
 * socket again next turn if more are queued). Elsewhere each datagram is one recvfrom into the
 * loop's shared buffer (or the socket's own, when that one is shorter than maxDatagram + 1 bytes).
 * Either way the handler sees one datagram per {@code onDatagram} call, the sender in one
 * {@link Endpoint} owned by this channel.
 *
 * <p>Sending never queues past a turn: UDP may drop, so a datagram the kernel cannot take now
 * (EAGAIN, ENOBUFS) is dropped and counted in {@link #dropped()}, never buffered without bound. On
 * Linux the datagrams a handler sends while a received batch is being delivered are copied into a
 * send batch and go out together in one sendmmsg once the batch's handlers have run (or earlier,
 * when the send batch is full).
 *
 * <p>Seen, not silent: a datagram longer than {@link DatagramOptions#maxDatagram()} is counted in
 * {@link #truncated()} and handed to {@link DatagramHandler#onTruncated}; on Linux the kernel's
 * count of datagrams it dropped because the receive buffer was full (SO_RXQ_OVFL) is in
 * {@link #kernelDrops()}.
 */
public final class Datagram extends Channel {
    /** Whether sockets opened from now on use recvmmsg/sendmmsg (Linux); tests turn it off to run the recvfrom path. */
    static volatile boolean useMmsg = Mmsg.available();
    /** Bytes of the send batch: any datagram up to this size can be queued. */
    static final int SEND_AREA = 64 * 1024;

    private final DatagramHandler handler;
    private final DatagramOptions options;
    private final Arena arena = Arena.ofShared();
    private final Endpoint from = Endpoint.allocate(arena);
    /** Linux: the receive and send batches; null elsewhere. */
    private final DatagramBatch rx, tx;
    /**
     * recvfrom path: where datagrams are read. The loop's shared buffer when it holds maxDatagram
     * + 1 bytes, else this socket's own: recvfrom does not say a datagram was cut, only a buffer
     * one byte longer than what is kept shows it (a smaller one would pass a cut datagram on whole).
     */
    private final MemorySegment readInto;
    /** True while a received batch is being delivered: sends are queued into {@link #tx}. */
    private boolean batching;
    long received, sent, dropped, truncated, kernelDrops;

    Datagram(EventLoop loop, int fd, DatagramHandler handler, DatagramOptions options) {
        super(loop, fd, Trigger.LEVEL);
        this.handler = handler;
        this.options = options;
        DatagramBatch r = null, t = null;
        MemorySegment into = loop.readBuf;
        try {
            if (useMmsg) {
                r = DatagramBatch.forReceiving(arena, options.batch(), options.maxDatagram());
                t = DatagramBatch.forSending(arena, options.batch(), SEND_AREA);
            } else if (into.byteSize() <= options.maxDatagram()) {
                into = arena.allocate(options.maxDatagram() + 1L, 64);
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.rx = r;
        this.tx = t;
        this.readInto = into;
    }

    /** See {@link EventLoop#openDatagram}; on the loop thread. */
    static Datagram open(EventLoop loop, InetSocketAddress address, DatagramOptions options,
                         DatagramHandler handler) throws NativeException {
        int fd = Udp.open(address, options.receiveBuffer());
        Datagram d;
        try {
            d = new Datagram(loop, fd, handler, options);
        } catch (RuntimeException | Error e) {
            Fds.closeQuietly(fd);
            throw e;
        }
        loop.registry.attach(d, Poller.READ);
        return d;
    }

    @Override
    void released() {
        arena.close();
    }

    @Override
    void ready(int ready) {
        if ((ready & (Poller.READ | Poller.ERROR | Poller.HANGUP)) == 0) return;
        if (rx != null) {
            receiveBatches();
            return;
        }
        EventLoop l = loop;
        MemorySegment buf = readInto;
        int max = options.maxDatagram();
        // One byte more than is kept: a datagram that fills it was longer than maxDatagram.
        long size = (long) max + 1;
        MemorySegment seg = from.segment();
        for (int k = 0; k < l.options.readsPerTurn() && fd >= 0; k++) {
            long r = SocketIo.recvfrom(l.cs, fd, buf, 0, size, seg, from.lengthCellForReceive());
            l.counters.read(Math.min(r, 0)); // the call; its bytes are counted in deliver
            if (r >= 0) {
                from.received();
                // Filled past maxDatagram: cut, at a length recvfrom does not tell.
                deliver(buf, r > max ? -1 : (int) r, r > max);
            } else if (r == -Errno.EAGAIN) {
                l.counters.eagain();
                return;
            } else if (r == -Errno.ECONNREFUSED || r == -Errno.EINTR) {
                // ECONNREFUSED: an ICMP port-unreachable for an earlier send (connected sockets,
                // and on some OSes unconnected ones). Not this socket's failure: go on.
            } else {
                closeNow(Errno.exception("recvfrom", (int) -r));
                return;
            }
        }
    }

    /** Linux: up to readsPerTurn recvmmsg calls, then one sendmmsg for what the handlers sent. */
    private void receiveBatches() {
        EventLoop l = loop;
        int n = rx.capacity();
        batching = true;
        try {
            for (int k = 0; k < l.options.readsPerTurn() && fd >= 0; k++) {
                int r = rx.receive(l.cs, fd);
                l.counters.read(Math.min(r, 0));
                if (r > 0) {
                    for (int i = 0; i < r && fd >= 0; i++) {
                        from.load(rx.names(), DatagramBatch.nameOffset(i), rx.nameLength(i));
                        long d = rx.drops(i);
                        if (d >= 0) kernelDrops = d;
                        int length = rx.length(i);
                        deliver(rx.buffer(i), length, rx.truncated(i) || length > options.maxDatagram());
                    }
                    if (r < n) break; // the queue is (most likely) empty: save the EAGAIN call
                } else if (r == -Errno.EAGAIN) {
                    l.counters.eagain();
                    break;
                } else if (r == -Errno.ECONNREFUSED || r == -Errno.EINTR) {
                    // As for recvfrom: not this socket's failure.
                } else {
                    closeNow(Errno.exception("recvmmsg", -r));
                    return;
                }
            }
        } finally {
            batching = false;
            if (fd >= 0) flush();
        }
    }

    /**
     * One datagram in {@code buf}, from {@link #from}: {@code length} bytes long (-1: not known),
     * {@code cut} when it was longer than maxDatagram (then maxDatagram bytes of it are in buf).
     */
    private void deliver(MemorySegment buf, int length, boolean cut) {
        EventLoop l = loop;
        received++;
        try {
            if (cut) {
                truncated++;
                int kept = options.maxDatagram();
                l.counters.bytesIn(kept);
                // The real length when the OS said it (Linux: recvmmsg with MSG_TRUNC), otherwise -1.
                handler.onTruncated(this, buf, kept, length, from);
            } else {
                l.counters.bytesIn(length);
                handler.onDatagram(this, buf, length, from);
            }
        } catch (Throwable t) {
            // One bad datagram is not the socket's failure: report it and read on.
            l.counters.failure();
            l.failures.report(null, t);
        }
    }

    /**
     * Sends {@code buf[off, off+len)} to {@code to}. Returns the bytes sent, or -errno when the
     * kernel refused it (-EAGAIN: the send buffer is full, and the datagram was dropped).
     * Allocates nothing. Loop thread only: from another thread it throws
     * {@link IllegalStateException} (the send batch is the loop's; use {@link EventLoop#execute}).
     *
     * <p>Called from {@code onDatagram} on Linux, the datagram is copied into this socket's send
     * batch and {@code len} is returned at once; the batch goes out in one sendmmsg after the
     * received batch has been handled, and a datagram the kernel then refuses is counted in
     * {@link #dropped()}.
     */
    public long sendTo(MemorySegment buf, long off, long len, Endpoint to) {
        loop.tasks.checkInLoop("Datagram.sendTo");
        if (fd < 0) return -Errno.EBADF;
        if (batching) {
            if (!tx.fits(len)) flush();
            if (tx.fits(len)) {
                tx.add(buf, off, len, to.segment(), to.length());
                return len;
            }
            // Larger than the whole send area: straight out, after what is queued (flushed above).
        }
        EventLoop l = loop;
        long r = SocketIo.sendto(l.cs, fd, buf, off, len, to.segment(), to.length());
        l.counters.write(r);
        if (r >= 0) {
            sent++;
        } else {
            dropped++;
            if (r == -Errno.EAGAIN) l.counters.eagain();
        }
        return r;
    }

    /**
     * Sends the queued batch. A datagram the kernel refuses is dropped and the rest go on; EAGAIN
     * (the send buffer is full) drops the rest of the batch as well.
     */
    private void flush() {
        int q = tx.queued();
        if (q == 0) return;
        EventLoop l = loop;
        int i = 0;
        while (i < q) {
            int r = tx.send(l.cs, fd, i);
            l.counters.write(0);
            if (r > 0) {
                for (int j = i; j < i + r; j++) l.counters.bytesOut(tx.queuedLength(j));
                sent += r;
                i += r;
            } else if (r == -Errno.EAGAIN || r == 0) {
                if (r != 0) l.counters.eagain();
                dropped += q - i;
                break;
            } else {
                dropped++; // this one (EMSGSIZE, ENOBUFS, EPERM...): skip it and send the rest
                i++;
            }
        }
        tx.clear();
    }

    /** Datagrams received, cut ones included. */
    public long received() {
        return received;
    }

    public long sent() {
        return sent;
    }

    /** Datagrams the kernel would not take (EAGAIN, ENOBUFS...). */
    public long dropped() {
        return dropped;
    }

    /** Datagrams longer than {@link DatagramOptions#maxDatagram()}, given to {@link DatagramHandler#onTruncated}. */
    public long truncated() {
        return truncated;
    }

    /**
     * Datagrams the kernel dropped before this socket read them, its receive buffer being full
     * (SO_RXQ_OVFL, Linux; 0 elsewhere). The kernel reports its cumulative count with each datagram
     * it delivers, so drops after the last datagram received show once the next one arrives.
     */
    public long kernelDrops() {
        return kernelDrops;
    }

    /** The options it was opened with. */
    public DatagramOptions options() {
        return options;
    }

    /** Whether datagrams go through recvmmsg/sendmmsg batches (Linux) rather than recvfrom/sendto. */
    public boolean batched() {
        return rx != null;
    }

    /**
     * The receive buffer the kernel granted (getsockopt SO_RCVBUF, as {@code ss -um} shows it): on
     * Linux twice what was asked, clamped to twice {@code net.core.rmem_max}. Allocates.
     */
    public int receiveBuffer() throws NativeException {
        if (fd < 0) throw new IllegalStateException("datagram socket closed");
        return Udp.receiveBuffer(fd);
    }

    /** The counters in one line, for logs. */
    public String counters() {
        return "received=" + received + " sent=" + sent + " sendDrops=" + dropped + " truncated=" + truncated
                + " kernelDrops=" + kernelDrops;
    }

    /** The bound address (allocates). */
    public InetSocketAddress localAddress() throws NativeException {
        if (fd < 0) throw new IllegalStateException("datagram socket closed");
        return Tcp.localAddress(fd);
    }

    @Override
    void closeNow(Throwable cause) {
        if (fd < 0) return;
        // Closed by a handler during a batch: what it sent before closing still goes out.
        if (batching) flush();
        loop.registry.release(this);
        arena.close();
        try {
            handler.onClose(this, cause);
        } catch (Throwable t) {
            loop.failures.report(null, t);
        }
    }
}
