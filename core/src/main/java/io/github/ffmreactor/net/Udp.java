package io.github.ffmreactor.net;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.SockAddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import io.github.ffmreactor.sys.Errno;

/** UDP sockets as plain fds, non-blocking and close-on-exec from birth. */
public final class Udp {
    private Udp() {}

    /**
     * A datagram socket bound to {@code address} (port 0: any free port), of the address's family
     * (IPv4 or IPv6). Closed again if any step fails.
     */
    public static int open(InetSocketAddress address) throws NativeException {
        int fd = Tcp.socket(address, Tcp.C.SOCK_DGRAM());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockAddr.SIZEOF_STORAGE);
            int len = Tcp.encode(address, sa);
            Errno.check("bind " + address, SocketIo.bind(Native.threadCallState(), fd, sa, len));
            return fd;
        } catch (NativeException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }
}
