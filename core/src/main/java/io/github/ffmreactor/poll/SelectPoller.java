package io.github.ffmreactor.poll;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Select;
import java.lang.foreign.MemorySegment;

/**
 * POSIX select(2). The wanted sets are kept as Java bit arrays (one long per 64 fds) and copied
 * into the native fd_sets before each wait, since select overwrites them with the result. Only
 * fds below FD_SETSIZE (1024) can be watched: a larger fd is refused at registration with an
 * IllegalArgumentException, never written past the end of an fd_set.
 *
 * <p>Level-triggered only; edge and oneshot are refused at registration. select has no hang-up
 * bit: a peer's FIN shows as readable and the read returns 0, and a failed socket shows as both
 * readable and writable (the read or write returns the error). HANGUP interest is watched as
 * readability. The except set is not used (it reports TCP urgent data, not errors).
 */
public final class SelectPoller extends TablePoller {
    private static final int SETSIZE = Select.FD_SETSIZE;
    private static final Capabilities CAPS = new Capabilities(false, false, SETSIZE - 1);

    private final MemorySegment readSet = arena.allocate(Select.FD_SET_BYTES, 8);
    private final MemorySegment writeSet = arena.allocate(Select.FD_SET_BYTES, 8);
    private final MemorySegment timeval = arena.allocate(Select.TIMEVAL_SIZE, 8);
    private final long[] wantRead = new long[Select.FD_SET_WORDS];
    private final long[] wantWrite = new long[Select.FD_SET_WORDS];
    private final WakePipe wake;
    private int maxFd;
    private boolean maxFdStale;

    public SelectPoller() throws NativeException {
        super(CAPS, new FdTable(SETSIZE, false));
        if (!Select.available()) throw new UnsupportedOperationException("POSIX select(2) is not available on this OS");
        try {
            wake = WakePipe.open(this);
            if (wake.readFd >= SETSIZE) {
                throw new IllegalStateException("select: the wakeup pipe got fd " + wake.readFd
                        + ", at or above FD_SETSIZE (" + SETSIZE + "); this process has too many fds for select");
            }
        } catch (NativeException | RuntimeException e) {
            abandon();
            throw e;
        }
        Select.set(wantRead, wake.readFd);
        maxFd = wake.readFd;
    }

    @Override public String name() { return "select"; }

    @Override int wakeFd() { return wake.readFd; }

    private void setInterest(int fd, int interest) {
        if ((interest & (READ | HANGUP)) != 0) Select.set(wantRead, fd);
        else Select.clear(wantRead, fd);
        if ((interest & WRITE) != 0) Select.set(wantWrite, fd);
        else Select.clear(wantWrite, fd);
    }

    @Override
    void added(int i, int fd, int interest) {
        setInterest(fd, interest);
        if (fd > maxFd) maxFd = fd;
    }

    @Override
    void changed(int i, int fd, int interest) {
        setInterest(fd, interest);
    }

    @Override
    void removed(int i, int moved, int fd) {
        Select.clear(wantRead, fd);
        Select.clear(wantWrite, fd);
        if (fd == maxFd) maxFdStale = true;
    }

    private int maxFd() {
        if (maxFdStale) {
            int m = wake.readFd;
            for (int i = 0, n = table.count(); i < n; i++) m = Math.max(m, table.fd(i));
            maxFd = m;
            maxFdStale = false;
        }
        return maxFd;
    }

    @Override
    int waitOnce(int timeoutMillis) {
        int nfds = maxFd() + 1;
        // select overwrites the sets (and on Linux the timeout): rebuild them for every call.
        int words = (nfds + 63) >>> 6;
        Select.encode(wantRead, words, readSet);
        Select.encode(wantWrite, words, writeSet);
        MemorySegment tv = MemorySegment.NULL;
        if (timeoutMillis >= 0) {
            Select.timeval(timeval, timeoutMillis);
            tv = timeval;
        }
        return Select.select(cs, nfds, readSet, writeSet, MemorySegment.NULL, tv);
    }

    @Override String waitCall() { return "select"; }

    @Override
    int collect(int n) {
        table.clearReady();
        if (Select.isSet(readSet, wake.readFd)) wake.drain(cs);
        for (int i = 0, count = table.count(); i < count; i++) {
            int fd = table.fd(i);
            int bits = 0;
            if (Select.isSet(readSet, fd)) bits |= READ;
            if (Select.isSet(writeSet, fd)) bits |= WRITE;
            if (bits != 0) table.ready(i, bits);
        }
        return table.readyCount();
    }

    @Override
    void signalWakeup() {
        wake.signal();
    }
}
