package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/** Linux eventfd(2): an 8-byte counter fd, used to wake a loop from another thread. */
public final class EventFd {
    private EventFd() {}

    public static final int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;

    private static final Fn.IntCII EVENTFD = Bind.fn("eventfd", JAVA_INT, JAVA_INT, JAVA_INT)
            .errno().linkIf(Platform.CURRENT == Platform.LINUX, Fn.IntCII.class);

    /** eventfd(initval, flags): the fd or -errno. */
    public static int eventfd(MemorySegment cs, int initval, int flags) {
        return Bind.ret(cs, EVENTFD.call(cs, initval, flags));
    }
}
