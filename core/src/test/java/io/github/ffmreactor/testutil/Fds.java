package io.github.ffmreactor.testutil;

import java.io.File;
import java.util.Objects;

/** Counts this process's open fds through /proc/self/fd (Linux), or -1 where there is none. */
public final class Fds {
    private Fds() {}

    public static int openCount() {
        String[] l = new File("/proc/self/fd").list();
        return l == null ? -1 : Objects.requireNonNull(l).length;
    }
}
