package io.github.ffmreactor.sys;

import java.io.IOException;

/**
 * A native call failed. The message names the call and the errno, e.g.
 * {@code accept4: EMFILE (Too many open files)}.
 */
public final class NativeException extends IOException {
    private final String call;
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    public NativeException(String call, int errno, String detail) {
        super(call + ": " + Errno.describe(errno) + " " + detail);
        this.call = call;
        this.errno = errno;
    }

    /** The C function that failed, e.g. {@code epoll_ctl}. */
    public String call() { return call; }

    /** The errno the call left, as the running OS numbers it. */
    public int errno() { return errno; }

    /** The symbolic errno name, e.g. {@code EBADF}. */
    public String errnoName() { return Errno.name(errno); }

    /**
     * Returns {@code r} when it is not negative, and otherwise throws for {@code -r} as errno: the
     * bindings of this package return {@code -errno} on failure.
     */
    public static int check(String call, int r) throws NativeException {
        if (r < 0) throw new NativeException(call, -r);
        return r;
    }

    public static long check(String call, long r) throws NativeException {
        if (r < 0) throw new NativeException(call, (int) -r);
        return r;
    }
}
