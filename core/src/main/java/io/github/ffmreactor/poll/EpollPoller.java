package io.github.ffmreactor.poll;

import static io.github.ffmreactor.sys.Epoll.*;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.EventFd;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;

/** Linux epoll. Wakeup is an eventfd registered under the reserved token {@link BasePoller#WAKE_TOKEN}. */
public final class EpollPoller extends BasePoller {
    private static final Capabilities CAPS = new Capabilities(true, true, Integer.MAX_VALUE);

    private final MemorySegment scratch = arena.allocate(Epoll.EVENT);
    private final MemorySegment events;
    private final MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
    private final int capacity;
    private final int epfd;
    private final int evfd;

    public EpollPoller() throws NativeException {
        this(1024);
    }

    public EpollPoller(int capacity) throws NativeException {
        super(CAPS);
        if (!Epoll.available()) throw new UnsupportedOperationException("epoll is only available on Linux");
        this.capacity = capacity;
        this.events = arena.allocate(Epoll.EVENT_SIZE * capacity, 8);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            epfd = ownFd(Errno.check("epoll_create1", Epoll.create1(cs, EPOLL_CLOEXEC)));
            evfd = ownFd(Errno.check("eventfd", EventFd.eventfd(cs, 0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC)));
            Errno.check("epoll_ctl", Epoll.ctl(cs, epfd, EPOLL_CTL_ADD, evfd, EPOLLIN, WAKE_TOKEN, scratch));
        } catch (NativeException | RuntimeException e) {
            abandon();
            throw e;
        }
    }

    @Override public String name() { return "epoll"; }

    static int toEpoll(int interest, Trigger trigger) {
        int e = 0;
        if ((interest & READ) != 0) e |= EPOLLIN;
        if ((interest & WRITE) != 0) e |= EPOLLOUT;
        if ((interest & HANGUP) != 0) e |= EPOLLRDHUP;
        if (trigger == Trigger.EDGE) e |= EPOLLET;
        else if (trigger == Trigger.ONESHOT) e |= EPOLLONESHOT;
        return e;
    }

    static int fromEpoll(int e) {
        int r = 0;
        if ((e & EPOLLIN) != 0) r |= READ;
        if ((e & EPOLLOUT) != 0) r |= WRITE;
        if ((e & (EPOLLRDHUP | EPOLLHUP)) != 0) r |= HANGUP;
        if ((e & EPOLLERR) != 0) r |= ERROR;
        return r;
    }

    /** The kernel keeps the registrations and reports EEXIST and ENOENT itself. */
    @Override int registration(int fd) { return UNKNOWN; }

    @Override int wakeFd() { return evfd; }

    private void ctl(int op, String what, int fd, int interest, Trigger trigger, long token) throws NativeException {
        ctlCalls++;
        int r = Epoll.ctl(cs, epfd, op, fd, toEpoll(interest, trigger), token, scratch);
        if (r < 0) throw Errno.exception(what, -r, "fd " + fd);
    }

    @Override
    void add(int fd, int interest, Trigger trigger, long token) throws NativeException {
        ctl(EPOLL_CTL_ADD, "epoll_ctl(ADD)", fd, interest, trigger, token);
    }

    @Override
    void change(int fd, int interest, Trigger trigger, long token) throws NativeException {
        ctl(EPOLL_CTL_MOD, "epoll_ctl(MOD)", fd, interest, trigger, token);
    }

    @Override
    void remove(int fd) throws NativeException {
        ctl(EPOLL_CTL_DEL, "epoll_ctl(DEL)", fd, 0, Trigger.LEVEL, 0);
    }

    @Override
    int waitOnce(int timeoutMillis) {
        return Epoll.wait(cs, epfd, events, capacity, timeoutMillis);
    }

    @Override
    int collect(int n) {
        int m = dropWake(events, n, EVENT_SIZE, DATA_OFFSET);
        if (m != n) Unistd.read(cs, evfd, counter, 0, 8); // consume the wakeup
        return m;
    }

    @Override String waitCall() { return "epoll_wait"; }

    @Override
    public long token(int i) {
        return Epoll.data(events, i);
    }

    @Override
    public int ready(int i) {
        return fromEpoll(Epoll.events(events, i));
    }

    @Override
    void signalWakeup() {
        // Any thread may call this, so it uses that thread's errno segment, not the loop's.
        Unistd.write(Native.threadCallState(), evfd, one, 0, 8);
    }
}
