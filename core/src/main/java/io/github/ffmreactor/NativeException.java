package io.github.ffmreactor;

import java.io.IOException;
import java.io.Serial;

/**
 * A native call failed. The message names the call and the errno, e.g.
 * {@code accept4: EMFILE (Too many open files)}; {@link #errnoName()} gives the symbolic name
 * whatever number the running OS uses for it.
 */
public final class NativeException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    /**
     * @param call        the C function that failed, e.g. {@code epoll_ctl}
     * @param errno       the errno as the running OS numbers it
     * @param errnoName   its symbolic name, e.g. {@code EBADF}
     * @param description the name with the OS's text, e.g. {@code EBADF (Bad file descriptor)}
     * @param detail      what the call was about (e.g. {@code to /127.0.0.1:4242}), or null
     */
    public NativeException(String call, int errno, String errnoName, String description, String detail) {
        super(call + ": " + description + (detail == null ? "" : " " + detail));
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The C function that failed, e.g. {@code epoll_ctl}. */
    public String call() { return call; }

    /** The errno the call left, as the running OS numbers it. */
    public int errno() { return errno; }

    /** The symbolic errno name, e.g. {@code EBADF}. */
    public String errnoName() { return errnoName; }
}
