package io.github.ffmreactor.loop;

import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_ALL;
import static io.github.ffmreactor.sys.IoUring.ASYNC_CANCEL_ANY;
import static io.github.ffmreactor.sys.IoUring.EBUSY;
import static io.github.ffmreactor.sys.IoUring.ETIME;
import static io.github.ffmreactor.sys.IoUring.OP_ASYNC_CANCEL;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Uring;

/**
 * The io_uring engine's teardown, when its loop closes (every channel already closed, so retired):
 * one cancel of everything in flight, then completions reaped until none is left or about two
 * seconds have passed, then the ring and its buffer ring are closed. Loop thread only.
 */
final class UringTeardown {
    private UringTeardown() {}

    /** Whether every request came back (then the engine may free the memory they could touch). */
    static boolean cancelAndReap(UringEngine e) {
        Uring ring = e.ring;
        try {
            // If making room for the cancel fails, it is tried again each round until the
            // deadline: a lost cancel would leave multishot requests, and so the fds and memory
            // of closed channels, in flight until the deadline.
            boolean cancelled = false;
            int failedEnters = 0;
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (e.inFlight > 0 && System.nanoTime() < deadline) {
                if (!cancelled) cancelled = cancelAll(e);
                int r = ring.submitAndWait(1, 100_000_000L);
                e.enters++;
                if (r < 0 && r != -ETIME && r != -Errno.EINTR && r != -EBUSY && ++failedEnters == 3) {
                    break; // not a passing failure: give up (memory a request could touch stays allocated)
                }
                ring.drain(e.cq);
            }
        } catch (RuntimeException x) {
            e.loop.failures.report(null, x);
        }
        boolean reaped = e.inFlight == 0;
        e.bufs.close();
        ring.close();
        if (!reaped) {
            // Given up: the kernel ends what is left in the background, each request holding its
            // own reference to its file, so the fds of closed channels can go now (memory cannot).
            for (Channel c : e.registry.retiredChannels()) {
                RingState s = e.state(c);
                if (s == null) continue;
                Fds.closeQuietly(s.closedFd);
                s.closedFd = -1;
            }
        }
        return reaped;
    }

    /** Prepares one cancel of every request in flight; false (reported) if no room could be made. */
    private static boolean cancelAll(UringEngine e) {
        try {
            if (!e.sq.room()) return false;
        } catch (NativeException x) {
            e.loop.failures.report(null, x);
            return false;
        }
        e.ring.prep(OP_ASYNC_CANCEL, 0, 0, -1, 0, 0, 0, ASYNC_CANCEL_ANY | ASYNC_CANCEL_ALL, 0,
                UserData.of(0, UserData.CANCEL));
        return true;
    }
}
