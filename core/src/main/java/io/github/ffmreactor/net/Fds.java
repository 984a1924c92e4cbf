package io.github.ffmreactor.net;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;

/** Closing fds (closesocket for Windows SOCKETs). Each fd has one owner, which calls these exactly once. */
public final class Fds {
    private Fds() {}

    public static void close(int fd) throws NativeException {
        // close(2) releases the number even when it reports EINTR on Linux: never retry it.
        Errno.check(SocketIo.WINDOWS ? "closesocket" : "close", SocketIo.close(Native.threadCallState(), fd));
    }

    public static void closeQuietly(int fd) {
        if (fd >= 0) SocketIo.close(Native.threadCallState(), fd);
    }
}
