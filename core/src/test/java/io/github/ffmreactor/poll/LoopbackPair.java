package io.github.ffmreactor.poll;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Two connected non-blocking TCP fds on 127.0.0.1 (ephemeral port), made with the project's calls. */
final class LoopbackPair implements AutoCloseable {
    final int client;
    final int server;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(1 << 20);
    private boolean clientClosed;

    LoopbackPair() throws Exception {
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
                    throw new NativeException("accept", -s);
                }
            }
            client = c;
            server = s;
        } finally {
            Fds.closeQuietly(l);
        }
    }

    /** Writes n bytes to fd; they must all be taken at once. */
    void send(int fd, int n) {
        buf.asSlice(0, n).fill((byte) 'x');
        long w = Unistd.write(Native.threadCallState(), fd, buf, 0, n);
        if (w != n) throw new IllegalStateException("short write " + w);
    }

    /** Reads up to n bytes: the count, 0 at EOF, or -errno. */
    long recv(int fd, int n) {
        return Unistd.read(Native.threadCallState(), fd, buf, 0, n);
    }

    /** Writes to fd until the kernel says EAGAIN; returns the bytes it took. */
    long fill(int fd) {
        long total = 0;
        while (true) {
            long w = Unistd.write(Native.threadCallState(), fd, buf, 0, buf.byteSize());
            if (w == -Errno.EAGAIN) return total;
            if (w < 0) throw new IllegalStateException("write: " + Errno.name((int) -w));
            total += w;
        }
    }

    void closeClient() {
        if (!clientClosed) {
            clientClosed = true;
            Fds.closeQuietly(client);
        }
    }

    @Override
    public void close() {
        closeClient();
        Fds.closeQuietly(server);
        arena.close();
    }

    /** Open fds of this process (Linux /proc), or -1 where that cannot be counted. */
    static int openFds() {
        String[] l = new File("/proc/self/fd").list();
        return l == null ? -1 : l.length;
    }
}
