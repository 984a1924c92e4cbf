package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_ALL;
import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_FD;
import static io.github.ffmreactor.sys.IoUring.EBUSY;
import static io.github.ffmreactor.sys.IoUring.OP_ASYNC_CANCEL;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.IoUring;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Uring;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The io_uring engine's submission side: what the turn asked for (receives and accepts to arm,
 * SENDs or SENDMSGs, connects, cancels), queued per channel and turned into SQEs at
 * {@link #submitQueued}, just before the wait that submits them in the same io_uring_enter; and the one place that
 * decides to enter the kernel early ({@link #room}: the submission queue is full). Loop thread only.
 *
 * <p>An entry leaves its queue only once its SQE has room: if the submit that makes room fails,
 * it and those after it stay queued for the next turn, so a request counts as in flight only
 * when it is really in the SQ. What to do for a channel is decided when its entry goes out, so a
 * channel released or resumed meanwhile costs nothing.
 */
final class UringSubmissions {
    private static final int MSG_NOSIGNAL = SocketConsts.CURRENT.MSG_NOSIGNAL();
    private static final int ACCEPT_FLAGS = SocketConsts.CURRENT.SOCK_NONBLOCK() | SocketConsts.CURRENT.SOCK_CLOEXEC();

    private final UringEngine engine;
    /** Channels whose receive or accept should be armed. */
    private RingState[] arm = new RingState[64];
    private int armCount;
    /** Connects (IORING_OP_CONNECT) to submit. */
    private RingConnect[] connects = new RingConnect[4];
    private int connectCount;
    /** Connections with output to submit. */
    private RingStream[] sends = new RingStream[64];
    private int sendCount;
    /** Channels to cancel: a closed one (all its requests, by fd) or a paused one (its receive or accept). */
    private RingState[] cancels = new RingState[16];
    private int cancelCount;
    /** A submit to make room failed in passing this turn: entries wait for the next turn, and this wait must not sleep. */
    private boolean backlog;

    UringSubmissions(UringEngine engine) {
        this.engine = engine;
    }

    boolean backlog() {
        return backlog;
    }

    void armLater(RingState s) {
        if (s.armListed) return;
        s.armListed = true;
        if (armCount == arm.length) arm = Arrays.copyOf(arm, armCount * 2);
        arm[armCount++] = s;
    }

    /** A connection has output queued: one SEND is submitted for it (if none is in flight). */
    void wantSend(RingStream k) {
        if (k.sendListed || k.sending > 0) return;
        k.sendListed = true;
        if (sendCount == sends.length) sends = Arrays.copyOf(sends, sendCount * 2);
        sends[sendCount++] = k;
    }

    void connectLater(RingConnect k) {
        if (connectCount == connects.length) connects = Arrays.copyOf(connects, connectCount * 2);
        connects[connectCount++] = k;
    }

    void cancelLater(RingState s) {
        if (s.cancelListed) return;
        s.cancelListed = true;
        if (cancelCount == cancels.length) cancels = Arrays.copyOf(cancels, cancelCount * 2);
        cancels[cancelCount++] = s;
    }

    /** Prepares an SQE for everything queued, cancels first; what finds no room stays queued. */
    void submitQueued() throws NativeException {
        backlog = false;
        UringEngine e = engine;
        if (!e.wakeArmed) {
            if (!room()) return;
            e.ring.prepRead(e.evfd, e.wakeBuf, 0, 8, -1, UserData.of(0, UserData.WAKE));
            e.wakeArmed = true;
            e.inFlight++;
        }
        if (cancelCount > 0 && !submitCancels()) return;
        if (connectCount > 0 && !submitConnects()) return;
        if (armCount > 0 && !submitArms()) return;
        if (sendCount > 0) submitSends();
    }

    /**
     * Makes room for one SQE: when the submission queue is full, submits what it holds first.
     * False when that submit failed in passing (EINTR; EBUSY: completions must be reaped first):
     * the caller keeps its entry queued, and the turn's wait does not sleep. Any other failure
     * is thrown (WaitErrors rides it out or ends the loop); the entry stays queued too.
     */
    boolean room() throws NativeException {
        Uring ring = engine.ring;
        if (ring.pending() < ring.sqEntries) return true;
        int r = ring.submit();
        engine.enters++;
        if (r < 0 && r != -Errno.EINTR && r != -EBUSY) throw Errno.exception("io_uring_enter", -r, "submit");
        if (ring.pending() < ring.sqEntries) return true;
        backlog = true;
        return false;
    }

    /**
     * A queue of {@code count} entries whose first {@code done} were handled: moves the rest to
     * the front, clears the tail, returns the new count.
     */
    private static int keepQueued(Object[] queue, int done, int count) {
        int left = count - done;
        if (left > 0) System.arraycopy(queue, done, queue, 0, left);
        Arrays.fill(queue, left, count, null);
        return left;
    }

    private boolean submitArms() throws NativeException {
        int i = 0;
        try {
            for (; i < armCount; i++) {
                RingState s = arm[i];
                boolean wanted = s.channel.fd >= 0 && !s.armed && wantsArm(s);
                if (wanted && !room()) return false;
                arm[i] = null;
                s.armListed = false;
                if (wanted) prepareArm(s);
            }
            return true;
        } finally {
            armCount = keepQueued(arm, i, armCount);
        }
    }

    private static boolean wantsArm(RingState s) {
        return s instanceof RingStream k ? k.wantsInput() : (s.channel.interest & READ) != 0;
    }

    /** A listener's multishot accept or a connection's receive, single-shot or multishot (an SQE is free). */
    private void prepareArm(RingState s) {
        UringEngine e = engine;
        Channel c = s.channel;
        long token = e.registry.token(c);
        if (c instanceof Listener) {
            long ud = UserData.of(token, UserData.ACCEPT);
            if (!Faults.ENABLED || e.faults.request(e.ring, Faults.Call.ACCEPT, c.fd, 0, ud) >= 0) {
                e.ring.prepAccept(c.fd, true, ACCEPT_FLAGS, ud);
            }
        } else {
            long ud = UserData.of(token, UserData.RECV);
            if (!Faults.ENABLED || e.faults.request(e.ring, Faults.Call.READ, c.fd, 0, ud) >= 0) {
                if (((RingStream) s).multishot) {
                    e.ring.prepRecvMultishot(c.fd, e.bufs.bgid, 0, ud);
                } else {
                    // New, streaming, or it had to hold input: one buffer per receive, so that a pause
                    // holds at most that buffer, not a multishot burst (native-notes/io_uring.md).
                    e.ring.prepRecvSelect(c.fd, e.bufs.bgid, e.bufs.size, 0, ud);
                }
            }
        }
        s.armed = true;
        s.ops++;
        e.inFlight++;
    }

    private void submitSends() throws NativeException {
        int i = 0;
        try {
            for (; i < sendCount; i++) {
                RingStream k = sends[i];
                boolean wanted = k.channel.fd >= 0 && k.sending <= 0 && k.pending() > 0;
                if (wanted && !room()) return;
                sends[i] = null;
                k.sendListed = false;
                if (wanted) prepareSend(k);
            }
        } finally {
            sendCount = keepQueued(sends, i, sendCount);
        }
    }

    /**
     * One request for the head of the connection's queue (an SQE is free): a SEND of its first
     * chunk, or when it spans chunks one SENDMSG of up to {@link SendVectors#IOVECS} of them, so a
     * large reply costs one request and one completion, not one per chunk. Without a vector (its
     * mmap failed: memory is short) it is a SEND, and sends try to map one again 100 ms later.
     */
    private void prepareSend(RingStream k) {
        UringEngine e = engine;
        ChunkQueue q = k.output();
        int fd = k.channel.fd;
        int chunks = Math.min(q.chunks(), SendVectors.IOVECS);
        MemorySegment v = chunks > 1 ? vector(k) : null;
        if (v == null) chunks = 1;
        int len = 0;
        for (int i = 0; i < chunks; i++) len += q.length(i);
        long ud = UserData.of(e.registry.token(k.channel), UserData.SEND);
        int n = Faults.ENABLED ? (int) e.faults.request(e.ring, Faults.Call.WRITE, fd, len, ud) : len;
        if (n > 0) {
            len = n; // a short send made on purpose: the kernel really moves only n bytes
            if (v == null) e.ring.prepSend(fd, q.head(), q.headOffset(), len, MSG_NOSIGNAL, ud);
            else e.ring.prepSendmsg(fd, v, iovecs(q, v, chunks, len), MSG_NOSIGNAL, ud);
        }
        k.sending = len;
        k.sendVectored = v != null;
        k.sendWait = e.waits;
        k.ops++;
        e.inFlight++;
    }

    /**
     * The connection's slot's SENDMSG vector, mapped at its first use; null when that mmap fails,
     * and for {@link SendVectors#RETRY_AFTER_NANOS} after, when no mapping is tried.
     */
    private MemorySegment vector(RingStream k) {
        if (k.vector == null) {
            SendVectors vs = engine.vectors;
            if (!vs.mayMap()) return null;
            try {
                k.vector = vs.of(k.channel.slot);
            } catch (NativeException ex) {
                vs.mapFailed();
                return null;
            }
        }
        return k.vector;
    }

    /** Points the iovecs of {@code v} at the first {@code len} bytes of {@code q}: the iovecs used. */
    private static int iovecs(ChunkQueue q, MemorySegment v, int chunks, int len) {
        int i = 0;
        for (int left = len; i < chunks && left > 0; i++) {
            int m = Math.min(q.length(i), left);
            IoUring.setIovec(v, i, q.chunk(i), q.offset(i), m);
            left -= m;
        }
        return i;
    }

    /**
     * An IORING_OP_CONNECT each on the unconnected non-blocking socket; the kernel waits for the
     * handshake itself (it polls for POLLOUT and reads the socket error) and completes with 0 or
     * -errno. A connector closed before its turn has nothing in flight (it was released at once):
     * only its sockaddr is freed.
     */
    private boolean submitConnects() throws NativeException {
        UringEngine e = engine;
        int i = 0;
        try {
            for (; i < connectCount; i++) {
                RingConnect k = connects[i];
                int fd = k.channel.fd;
                if (fd < 0) {
                    k.freeAddress();
                    continue;
                }
                if (!room()) return false;
                long ud = UserData.of(e.registry.token(k.channel), UserData.CONNECT);
                if (!Faults.ENABLED || e.faults.request(e.ring, Faults.Call.CONNECT, fd, 0, ud) >= 0) {
                    e.ring.prepConnect(fd, k.sockaddr, k.sockaddrLen, ud);
                }
                k.ops++;
                e.inFlight++;
            }
            return true;
        } finally {
            connectCount = keepQueued(connects, i, connectCount);
        }
    }

    /**
     * A channel still retired (its fd not yet closed) gets an ASYNC_CANCEL of everything on its
     * fd; a live one still paused with its receive or accept in flight gets a cancel of that
     * request. Anything else (released, resumed, or already completed) needs nothing.
     */
    private boolean submitCancels() throws NativeException {
        UringEngine e = engine;
        int i = 0;
        try {
            for (; i < cancelCount; i++) {
                RingState s = cancels[i];
                Channel c = s.channel;
                boolean closing = s.closedFd >= 0;
                boolean pausing = !closing && c.fd >= 0 && s.armed && (c.interest & READ) == 0;
                if ((closing || pausing) && !room()) return false;
                cancels[i] = null;
                s.cancelListed = false;
                long ud = UserData.of(0, UserData.CANCEL);
                if (closing) {
                    e.ring.prep(OP_ASYNC_CANCEL, 0, 0, s.closedFd, 0, 0, 0, ASYNC_CANCEL_FD | ASYNC_CANCEL_ALL, 0, ud);
                } else if (pausing) {
                    int kind = c instanceof Listener ? UserData.ACCEPT : UserData.RECV;
                    e.ring.prepCancel(UserData.of(e.registry.token(c), kind), 0, ud);
                }
            }
            return true;
        } finally {
            cancelCount = keepQueued(cancels, i, cancelCount);
        }
    }

    /** At close: connects never submitted free their sockaddr; queued cancels are covered by the cancel of everything. */
    void dropQueued() {
        for (int i = 0; i < connectCount; i++) {
            connects[i].freeAddress();
            connects[i] = null;
        }
        connectCount = 0;
        for (int i = 0; i < cancelCount; i++) {
            cancels[i].cancelListed = false;
            cancels[i] = null;
        }
        cancelCount = 0;
    }
}
