package io.github.ffmreactor.loop;

import static io.github.ffmreactor.poll.Poller.READ;
import static io.github.ffmreactor.sys.IoUring.CQE_F_BUFFER;
import static io.github.ffmreactor.sys.IoUring.CQE_F_MORE;
import static io.github.ffmreactor.sys.IoUring.CQE_F_SOCK_NONEMPTY;
import static io.github.ffmreactor.sys.IoUring.ECANCELED;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Uring;
import io.github.ffmreactor.sys.UringBufRing;
import java.util.Arrays;

/**
 * The io_uring engine's completion side: each CQE goes to its channel by the slot in its
 * user_data ({@link UserData}), live or retired (closed, its requests not all back yet). A
 * received buffer is lent to the handler for the call and goes back to the kernel right after;
 * a retired channel's last completion releases its fd and slot. Loop thread only.
 */
final class UringCompletions implements Uring.CqeHandler {
    private final UringEngine engine;
    /** Connections holding input because their queue is over the limits (RingStream.startHolding). */
    private RingStream[] holders = new RingStream[16];
    private int holderCount;
    long completions, noBuffers;

    UringCompletions(UringEngine engine) {
        this.engine = engine;
    }

    @Override
    public void onCqe(long ud, int res, int flags) {
        UringEngine e = engine;
        if (Faults.ENABLED) res = e.faults.result(ud, res);
        int kind = UserData.kind(ud);
        if (kind == UserData.CANCEL) return;
        if (kind == UserData.WAKE) {
            e.wakeArmed = false;
            e.inFlight--;
            return;
        }
        long token = UserData.token(ud);
        boolean more = (flags & CQE_F_MORE) != 0;
        Channel c = e.registry.lookup(token);
        boolean live = c != null;
        if (c == null) c = e.registry.retiredChannel(token);
        RingState s = c == null ? null : e.state(c);
        if (!more) {
            e.inFlight--;
            if (s != null) s.ops--;
        }
        if (s == null) {
            // A request of a channel already released: nothing of it is left to touch.
            e.counters.stale();
            if ((flags & CQE_F_BUFFER) != 0) e.bufs.recycle(UringBufRing.bufferId(flags));
            if (kind == UserData.ACCEPT && res >= 0) Fds.closeQuietly(res);
            return;
        }
        try {
            switch (kind) {
                case UserData.RECV -> received((RingStream) s, live, res, flags, more);
                case UserData.SEND -> sent((RingStream) s, live, res);
                case UserData.ACCEPT -> accepted(s, live, res, more);
                case UserData.CONNECT -> connected((RingConnect) s, live, res);
                default -> { }
            }
        } catch (Throwable t) {
            if (live) e.loop.failures.fail(c, t);
            else e.loop.failures.report(null, t);
        }
        if (!live && s.ops == 0) e.free(s);
    }

    private void received(RingStream k, boolean live, int res, int flags, boolean more) {
        if (!more) k.armed = false;
        if ((flags & CQE_F_BUFFER) != 0) {
            int bid = UringBufRing.bufferId(flags);
            try {
                if (live && res > 0) k.received(engine.bufSlices[bid], res);
            } finally {
                engine.bufs.recycle(bid);
            }
        }
        if (!live) return;
        if (!more && res > 0) k.receiveEnded((flags & CQE_F_SOCK_NONEMPTY) != 0, engine.quietReceives);
        if (res == 0) {
            k.receivedEnd();
        } else if (res < 0) {
            int errno = -res;
            if (errno == Errno.ENOBUFS) {
                noBuffers++; // the buffer ring ran dry: buffers were recycled above and in this drain
            } else if (errno != ECANCELED) {
                k.connection().ioError("recv", errno);
                return;
            }
        }
        if (!more && k.wantsInput()) engine.sq.armLater(k);
    }

    private void sent(RingStream k, boolean live, int res) {
        int asked = k.sending;
        k.sending = 0;
        if (!live) {
            k.sendAbandoned();
            return;
        }
        if (res >= 0) {
            k.sent(res, asked);
        } else if (-res == Errno.EAGAIN || -res == Errno.EINTR) {
            engine.sq.wantSend(k);
        } else {
            k.connection().ioError(k.sendVectored ? "sendmsg" : "send", -res);
        }
    }

    private void accepted(RingState s, boolean live, int res, boolean more) throws NativeException {
        if (!more) s.armed = false;
        if (!live) {
            if (res >= 0) Fds.closeQuietly(res);
            return;
        }
        Listener l = (Listener) s.channel;
        l.completed(res);
        if (!more && l.fd >= 0 && (l.interest & READ) != 0) engine.sq.armLater(s);
    }

    private static void connected(RingConnect k, boolean live, int res) {
        k.freeAddress(); // the kernel is done with it
        if (live) ((Connector) k.channel).completed(res < 0 ? -res : 0);
    }

    void watchHolding(RingStream k) {
        if (holderCount == holders.length) holders = Arrays.copyOf(holders, holderCount * 2);
        holders[holderCount++] = k;
    }

    /**
     * A SEND that was submitted with a wait and is still in flight after it found no room in the
     * kernel (a SEND that fits completes within its io_uring_enter): its connection, holding input,
     * is now visibly paused, as a readiness engine's would be after a short write.
     */
    void checkHolders() {
        if (holderCount == 0) return;
        int j = 0;
        for (int i = 0; i < holderCount; i++) {
            RingStream k = holders[i];
            holders[i] = null;
            if (k.channel.fd < 0 || !k.isHolding()) continue;
            if (k.sending > 0 && engine.waits > k.sendWait) {
                k.holdingStuck();
                continue;
            }
            holders[j++] = k;
        }
        holderCount = j;
    }
}
