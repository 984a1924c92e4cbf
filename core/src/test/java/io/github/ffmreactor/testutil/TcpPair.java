package io.github.ffmreactor.testutil;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Two connected non-blocking TCP fds on 127.0.0.1, made with the project's own calls. */
public final class TcpPair implements AutoCloseable {
    public final int client;
    public final int server;
    private boolean clientClosed;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(1 << 20);

    public TcpPair() throws Exception {
        int l = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8, false);
        try {
            int c = Tcp.connect(Tcp.localAddress(l));
            int s = -1;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (s < 0) {
                s = Tcp.accept(Native.threadCallState(), l);
                if (s == -Errno.EAGAIN) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("accept timed out");
                    Thread.onSpinWait();
                } else if (s < 0) {
                    throw Errno.exception("accept", -s);
                }
            }
            client = c;
            server = s;
        } finally {
            Fds.closeQuietly(l);
        }
    }

    /** Writes n bytes of value b to fd (which must take them all at once). */
    public void send(int fd, int n, byte b) {
        buf.asSlice(0, n).fill(b);
        long w = Unistd.write(Native.threadCallState(), fd, buf, 0, n);
        if (w != n) throw new IllegalStateException("short write " + w);
    }

    /** Writes n bytes of 'x' to fd (which must take them all at once). */
    public void send(int fd, int n) {
        send(fd, n, (byte) 'x');
    }

    /** Writes to fd until the kernel says EAGAIN; returns the bytes it took. */
    public long fill(int fd) {
        long total = 0;
        while (true) {
            long w = Unistd.write(Native.threadCallState(), fd, buf, 0, buf.byteSize());
            if (w == -Errno.EAGAIN) return total;
            if (w < 0) throw new IllegalStateException("write: " + Errno.name((int) -w));
            total += w;
        }
    }

    /** Closes the client end now (the peer sees FIN); close() will not close it again. */
    public void closeClient() {
        if (!clientClosed) {
            clientClosed = true;
            Fds.closeQuietly(client);
        }
    }

    /** Reads up to n bytes from fd: the count, 0 at EOF, or -errno. */
    public long recv(int fd, int n) {
        return Unistd.read(Native.threadCallState(), fd, buf, 0, n);
    }

    public MemorySegment buffer() {
        return buf;
    }

    @Override
    public void close() {
        closeClient();
        Fds.closeQuietly(server);
        arena.close();
    }
}
