package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.MemorySegment;
import io.github.ffmreactor.Trigger;

/**
 * Checks shared by the backends whose registrations live in Java arrays (poll, select, and
 * kqueue's bookkeeping): the kernel does not see a registration until the next wait, so the
 * errors epoll_ctl would give at once (EBADF, EEXIST, ENOENT) are given here, under the same
 * errno names, and triggers the backend cannot carry are refused.
 */
final class Registrations {
    private Registrations() {}

    static void checkTrigger(String backend, Capabilities caps, Trigger trigger) {
        if (!caps.supports(trigger)) {
            throw new IllegalArgumentException("backend " + backend + " does not support " + trigger
                    + " triggering (it is level-triggered only; epoll and kqueue have edge and oneshot)");
        }
    }

    /** EBADF for a closed or negative fd, found with fcntl(F_GETFD): no side effect on the fd. */
    static void checkOpen(MemorySegment cs, String call, int fd) throws NativeException {
        int r = fd < 0 ? -Errno.EBADF : Unistd.fcntl(cs, fd, Unistd.F_GETFD, 0);
        if (r < 0) throw Errno.exception(call, -r, "fd " + fd);
    }

    static NativeException exists(String call, int fd) {
        return Errno.exception(call, Errno.EEXIST, "fd " + fd + " is already registered");
    }

    static NativeException notRegistered(String call, int fd) {
        return Errno.exception(call, Errno.ENOENT, "fd " + fd + " is not registered");
    }
}
