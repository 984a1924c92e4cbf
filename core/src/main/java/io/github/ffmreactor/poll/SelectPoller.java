package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Select;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import io.github.ffmreactor.Trigger;

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
public final class SelectPoller extends BasePoller {
    private static final int SETSIZE = Select.FD_SETSIZE;
    private static final Capabilities CAPS = new Capabilities(false, false, SETSIZE - 1);
    private static final int REGISTERED = 1 << 30;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Native.callState(arena);
    private final MemorySegment readSet = arena.allocate(Select.FD_SET_BYTES, 8);
    private final MemorySegment writeSet = arena.allocate(Select.FD_SET_BYTES, 8);
    private final MemorySegment timeval = arena.allocate(Select.TIMEVAL_SIZE, 8);
    private final long[] wantRead = new long[Select.FD_SET_WORDS];
    private final long[] wantWrite = new long[Select.FD_SET_WORDS];
    private final WakePipe wake;
    private final int[] interestOf = new int[SETSIZE];   // by fd: REGISTERED | interest, 0 when not registered
    private final long[] tokenOf = new long[SETSIZE];    // by fd
    private final int[] fdList = new int[SETSIZE];       // registered fds, dense
    private final int[] posOf = new int[SETSIZE];        // by fd: index in fdList
    private int fdCount;
    private int maxFd;
    private boolean maxFdStale;
    private final long[] readyTokens = new long[SETSIZE];
    private final int[] readyBits = new int[SETSIZE];

    public SelectPoller() throws NativeException {
        if (!Select.available()) throw new UnsupportedOperationException("POSIX select(2) is not available on this OS");
        try {
            wake = new WakePipe(arena, cs);
        } catch (NativeException | RuntimeException e) {
            arena.close();
            throw e;
        }
        if (wake.readFd >= SETSIZE) {
            wake.close(cs);
            arena.close();
            throw new IllegalStateException("select: the wakeup pipe got fd " + wake.readFd
                    + ", at or above FD_SETSIZE (" + SETSIZE + "); this process has too many fds for select");
        }
        Select.set(wantRead, wake.readFd);
        maxFd = wake.readFd;
    }

    @Override public String name() { return "select"; }

    @Override public Capabilities capabilities() { return CAPS; }

    private void checkFd(String call, int fd) {
        if (fd >= SETSIZE) {
            throw new IllegalArgumentException(call + ": fd " + fd + " is at or above FD_SETSIZE (" + SETSIZE
                    + "); select cannot watch it (use poll, epoll or kqueue)");
        }
    }

    private void setInterest(int fd, int interest) {
        if ((interest & (READ | HANGUP)) != 0) Select.set(wantRead, fd);
        else Select.clear(wantRead, fd);
        if ((interest & WRITE) != 0) Select.set(wantWrite, fd);
        else Select.clear(wantWrite, fd);
        interestOf[fd] = REGISTERED | interest;
    }

    @Override
    public void register(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkOpenPoller();
        Registrations.checkTrigger(name(), CAPS, trigger);
        checkFd("select register", fd);
        Registrations.checkOpen(cs, "select register", fd);
        if (interestOf[fd] != 0 || fd == wake.readFd) throw Registrations.exists("select register", fd);
        ctlCalls++;
        setInterest(fd, interest);
        tokenOf[fd] = token;
        posOf[fd] = fdCount;
        fdList[fdCount++] = fd;
        if (fd > maxFd) maxFd = fd;
    }

    @Override
    public void modify(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkOpenPoller();
        Registrations.checkTrigger(name(), CAPS, trigger);
        checkFd("select modify", fd);
        if (fd < 0 || interestOf[fd] == 0) throw Registrations.notRegistered("select modify", fd);
        ctlCalls++;
        setInterest(fd, interest);
        tokenOf[fd] = token;
    }

    @Override
    public void deregister(int fd) throws NativeException {
        checkOpenPoller();
        checkFd("select deregister", fd);
        if (fd < 0 || interestOf[fd] == 0) throw Registrations.notRegistered("select deregister", fd);
        ctlCalls++;
        Select.clear(wantRead, fd);
        Select.clear(wantWrite, fd);
        interestOf[fd] = 0;
        int p = posOf[fd];
        int last = fdList[--fdCount];
        fdList[p] = last;
        posOf[last] = p;
        if (fd == maxFd) maxFdStale = true;
    }

    private int maxFd() {
        if (maxFdStale) {
            int m = wake.readFd;
            for (int i = 0; i < fdCount; i++) m = Math.max(m, fdList[i]);
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
        int out = 0;
        if (Select.isSet(readSet, wake.readFd)) wake.drain(cs);
        for (int i = 0; i < fdCount; i++) {
            int fd = fdList[i];
            int bits = 0;
            if (Select.isSet(readSet, fd)) bits |= READ;
            if (Select.isSet(writeSet, fd)) bits |= WRITE;
            if (bits != 0) {
                readyTokens[out] = tokenOf[fd];
                readyBits[out] = bits;
                out++;
            }
        }
        return out;
    }

    @Override public long token(int i) { return readyTokens[i]; }

    @Override public int ready(int i) { return readyBits[i]; }

    @Override
    void signalWakeup() {
        wake.signal();
    }

    @Override
    void release() {
        wake.close(cs);
        arena.close();
    }
}
