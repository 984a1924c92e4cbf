package io.github.ffmreactor.net;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Mmsg;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.sys.SockAddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/** UDP sockets as plain fds, non-blocking and close-on-exec from birth. */
public final class Udp {
    private Udp() {}

    /** Whether the kernel can count this socket's receive-queue drops (SO_RXQ_OVFL: Linux). */
    public static final boolean COUNTS_DROPS = Platform.CURRENT == Platform.LINUX;

    /**
     * A datagram socket bound to {@code address} (port 0: any free port), of the address's family
     * (IPv4 or IPv6). Closed again if any step fails.
     */
    public static int open(InetSocketAddress address) throws NativeException {
        return open(address, 0);
    }

    /**
     * As {@link #open(InetSocketAddress)}, with SO_RCVBUF set to {@code receiveBuffer} bytes first
     * when it is positive (the kernel doubles it and clamps it to {@code net.core.rmem_max}: read
     * back what it granted with {@link #receiveBuffer}), and on Linux SO_RXQ_OVFL turned on so
     * that each datagram carries the socket's count of datagrams dropped for want of room.
     */
    public static int open(InetSocketAddress address, int receiveBuffer) throws NativeException {
        int fd = Tcp.socket(address, Tcp.C.SOCK_DGRAM());
        try (Arena a = Arena.ofConfined()) {
            if (receiveBuffer > 0) {
                Tcp.setIntOption(fd, Tcp.C.SOL_SOCKET(), Tcp.C.SO_RCVBUF(), receiveBuffer, "setsockopt(SO_RCVBUF)");
            }
            if (COUNTS_DROPS) {
                Tcp.setIntOption(fd, Tcp.C.SOL_SOCKET(), Mmsg.SO_RXQ_OVFL, 1, "setsockopt(SO_RXQ_OVFL)");
            }
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = Tcp.encode(address, sa);
            Errno.check("bind " + address, SocketIo.bind(Native.threadCallState(), fd, sa, len));
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * The receive buffer the kernel granted (getsockopt SO_RCVBUF), in bytes: on Linux twice what
     * was asked (the other half pays for bookkeeping), at most twice rmem_max. What {@code ss -um}
     * shows as {@code rb}.
     */
    public static int receiveBuffer(int fd) throws NativeException {
        return Tcp.getIntOption(fd, Tcp.C.SOL_SOCKET(), Tcp.C.SO_RCVBUF(), "getsockopt(SO_RCVBUF)");
    }
}
