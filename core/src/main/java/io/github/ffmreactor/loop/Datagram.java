package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A UDP socket on a loop. Datagrams are read with recvfrom into the loop's shared buffer, the
 * sender into one {@link Endpoint} owned by this channel: nothing is allocated per datagram.
 * Registered level-triggered: each readiness reads at most {@code readsPerTurn} datagrams, and
 * the poller reports the socket again next turn if more are queued.
 *
 * <p>Sending never queues: UDP may drop, so a datagram the kernel cannot take now (EAGAIN,
 * ENOBUFS) is dropped and counted in {@link #dropped()}, never buffered without bound.
 */
public final class Datagram extends Channel {
    private final DatagramHandler handler;
    private final Arena arena = Arena.ofShared();
    private final Endpoint from = Endpoint.allocate(arena);
    /** Free for the user. */
    public Object attachment;
    long received, sent, dropped;

    Datagram(EventLoop loop, int fd, DatagramHandler handler) {
        super(loop, fd, Trigger.LEVEL);
        this.handler = handler;
    }

    /** See {@link EventLoop#openDatagram}; on the loop thread. */
    static Datagram open(EventLoop loop, java.net.InetSocketAddress address, DatagramHandler handler)
            throws NativeException {
        Datagram d = new Datagram(loop, io.github.ffmreactor.net.Udp.open(address), handler);
        loop.registry.attach(d, Poller.READ, Trigger.LEVEL);
        return d;
    }

    @Override
    void released() {
        arena.close();
    }

    @Override
    void ready(int ready) {
        if ((ready & (Poller.READ | Poller.ERROR | Poller.HANGUP)) == 0) return;
        EventLoop l = loop;
        MemorySegment buf = l.readBuf;
        long size = buf.byteSize();
        MemorySegment seg = from.segment();
        for (int k = 0; k < l.options.readsPerTurn() && fd >= 0; k++) {
            long r = SocketIo.recvfrom(l.cs, fd, buf, 0, size, seg, from.lengthCellForReceive());
            l.counters.read(r);
            if (r >= 0) {
                from.received();
                received++;
                try {
                    handler.onDatagram(this, buf, (int) r, from);
                } catch (Throwable t) {
                    // One bad datagram is not the socket's failure: report it and read on.
                    l.counters.failure();
                    l.report(null, t);
                }
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

    /**
     * Sends {@code buf[off, off+len)} to {@code to}. Returns the bytes sent, or -errno when the
     * kernel refused it (-EAGAIN: the send buffer is full, and the datagram was dropped).
     * Allocates nothing. Loop thread only.
     */
    public long sendTo(MemorySegment buf, long off, long len, Endpoint to) {
        if (fd < 0) return -Errno.EBADF;
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

    /** The bound address (allocates). */
    public java.net.InetSocketAddress localAddress() throws NativeException {
        if (fd < 0) throw new IllegalStateException("datagram socket closed");
        return io.github.ffmreactor.net.Tcp.localAddress(fd);
    }

    @Override
    void closeNow(Throwable cause) {
        if (fd < 0) return;
        loop.registry.release(this);
        arena.close();
        try {
            handler.onClose(this, cause);
        } catch (Throwable t) {
            loop.report(null, t);
        }
    }
}
