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
import java.time.Duration;

/** Two connected non-blocking TCP fds on 127.0.0.1, made with the project's own calls. */
public final class TcpPair implements AutoCloseable {
    public final int client;
    public final int server;
    private boolean clientClosed;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(1 << 20);

    public TcpPair() throws Exception {
        int[] fds = connected();
        client = fds[0];
        server = fds[1];
    }

    /** A connected pair of non-blocking TCP fds on 127.0.0.1, {client, server}, owned by the caller. */
    public static int[] connected() throws Exception {
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
            return new int[] {c, s};
        } finally {
            Fds.closeQuietly(l);
        }
    }

    /**
     * Reads from non-blocking {@code fd} until {@code n} bytes came (or, with {@code n} = -1, until
     * EOF) and returns the count. Bytes are kept in order at the start of {@code buf} when {@code n}
     * fits in it; otherwise {@code buf} is scratch. Fails on an error, on EOF before {@code n}
     * bytes, or after 20 s.
     */
    public static long readNonBlocking(int fd, MemorySegment buf, long n) throws Exception {
        long[] got = {0};
        boolean keep = n >= 0 && n <= buf.byteSize();
        Await.until(Duration.ofSeconds(20), (n < 0 ? "EOF" : n + " bytes") + " on fd " + fd, () -> {
            while (n < 0 || got[0] < n) {
                long off = keep ? got[0] : 0;
                long want = n < 0 ? buf.byteSize() : Math.min(buf.byteSize() - off, n - got[0]);
                long r = Unistd.read(Native.threadCallState(), fd, buf, off, want);
                if (r == 0) {
                    if (n >= 0) throw new AssertionError("EOF after " + got[0] + " of " + n + " bytes");
                    return true;
                }
                if (r == -Errno.EAGAIN) return false;
                if (r < 0) throw new AssertionError("read: " + Errno.describe((int) -r) + " after " + got[0]);
                got[0] += r;
            }
            return true;
        });
        return got[0];
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
