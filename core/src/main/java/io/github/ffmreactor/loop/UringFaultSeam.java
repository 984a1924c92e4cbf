package io.github.ffmreactor.loop;

import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Uring;
import java.util.Arrays;

/**
 * The io_uring engine's side of the test-only fault seam ({@link Faults}): with
 * {@code Faults.ENABLED} off, a static final, none of this runs. A request a rule fails is replaced
 * by a NOP with the request's user_data, and the NOP's completion is rewritten to the rule's
 * -errno: the request never reaches the kernel, and its final completion has the shape a real
 * failure has (no F_MORE, no buffer), so the engine's accounting is unchanged.
 */
final class UringFaultSeam {
    /** user_data of NOPs standing in for failed requests, and the -errno each completes with. */
    private long[] userData;
    private int[] results;
    private int count;

    /**
     * Asks {@link Faults} about a request about to be prepared (an SQE is free): {@code len} (or
     * fewer bytes to move) to go ahead; or -1 when a rule fails it: then the NOP goes in instead.
     */
    long request(Uring ring, Faults.Call call, int fd, long len, long ud) {
        long f = Faults.request(call, fd, len);
        if (f >= 0) return f;
        ring.prepNop(ud);
        if (userData == null) {
            userData = new long[8];
            results = new int[8];
        } else if (count == userData.length) {
            userData = Arrays.copyOf(userData, count * 2);
            results = Arrays.copyOf(results, count * 2);
        }
        userData[count] = ud;
        results[count++] = (int) f;
        return -1;
    }

    /** The completion of a NOP that stands in for a failed request gets the rule's -errno. */
    int result(long ud, int res) {
        for (int i = 0; i < count; i++) {
            if (userData[i] != ud) continue;
            int r = results[i];
            count--;
            userData[i] = userData[count];
            results[i] = results[count];
            return r;
        }
        return res;
    }
}
