package io.github.ffmreactor.poll;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The self-pipe of the poll and select backends: a wakeup writes one byte to the write end, the
 * poller watches the read end and drains it. Both ends are non-blocking and close-on-exec (set
 * with fcntl, since macOS has no pipe2). A full pipe is already a pending wakeup, so EAGAIN on
 * write is fine.
 */
final class WakePipe {
    final int readFd;
    final int writeFd;
    private final MemorySegment buf;
    private final MemorySegment one;

    private WakePipe(int readFd, int writeFd, Arena arena) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        buf = arena.allocate(64);
        one = arena.allocate(1);
        one.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
    }

    /** A pipe whose two ends {@code owner} owns from the moment they exist (closed by its abandon or close). */
    static WakePipe open(BasePoller owner) throws NativeException {
        MemorySegment cs = owner.cs;
        MemorySegment fds = owner.arena.allocate(JAVA_INT, 2);
        Errno.check("pipe", Unistd.pipe(cs, fds));
        int r = owner.ownFd(fds.get(JAVA_INT, 0)), w = owner.ownFd(fds.get(JAVA_INT, 4));
        int e = Unistd.setNonBlockingCloexec(cs, r);
        if (e >= 0) e = Unistd.setNonBlockingCloexec(cs, w);
        if (e < 0) throw Errno.exception("fcntl(O_NONBLOCK|FD_CLOEXEC)", -e, "on the wakeup pipe");
        return new WakePipe(r, w, owner.arena);
    }

    /** From any thread: one byte, on that thread's errno segment. */
    void signal() {
        Unistd.write(Native.threadCallState(), writeFd, one, 0, 1);
    }

    /** On the poller's thread: reads until the pipe is empty. */
    void drain(MemorySegment cs) {
        long n;
        do {
            n = Unistd.read(cs, readFd, buf, 0, buf.byteSize());
        } while (n == buf.byteSize() || n == -Errno.EINTR);
    }
}
