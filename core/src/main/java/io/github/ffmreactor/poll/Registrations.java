package io.github.ffmreactor.poll;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.MemorySegment;

/**
 * The EBADF check of the backends whose kernel does not see a registration until the next wait
 * (poll, select) or sees no filter change (kqueue): the error epoll_ctl would give at once is
 * given here, under the same errno name. (EEXIST and ENOENT are given by {@link BasePoller}.)
 */
final class Registrations {
    private Registrations() {}

    /** EBADF for a closed or negative fd, found with fcntl(F_GETFD): no side effect on the fd. */
    static void checkOpen(MemorySegment cs, String call, int fd) throws NativeException {
        int r = fd < 0 ? -Errno.EBADF : Unistd.fcntl(cs, fd, Unistd.F_GETFD, 0);
        if (r < 0) throw Errno.exception(call, -r, "fd " + fd);
    }
}
