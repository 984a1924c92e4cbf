package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;

/**
 * A failed wait. Out of kernel memory (ENOMEM, ENOBUFS: poll and kevent can say so) is a state to
 * ride out: back off (1 ms doubling to 100 ms) and try again, reporting at most once a second.
 * Anything else means the engine is broken, and the loop ends with it as the cause. Loop thread only.
 */
final class WaitErrors {
    private final Throttle reports = new Throttle();
    private long backoffMillis;

    /** The wait worked: the next failure starts backing off from 1 ms again. */
    void ok() {
        backoffMillis = 0;
    }

    /** Whether to go on after {@code e} (having slept a while), or false: the loop must end. */
    boolean rideOut(Failures failures, NativeException e) {
        if (e.errno() != Errno.ENOMEM && e.errno() != Errno.ENOBUFS) return false;
        reports.report(failures, e);
        backoffMillis = backoffMillis == 0 ? 1 : Math.min(100, backoffMillis * 2);
        try {
            Thread.sleep(backoffMillis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return true;
    }
}
