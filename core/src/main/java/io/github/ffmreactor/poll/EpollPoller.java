package io.github.ffmreactor.poll;

import static io.github.ffmreactor.sys.Epoll.*;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.EventFd;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;

/** Linux epoll. Wakeup is an eventfd registered under a reserved token. */
public final class EpollPoller extends BasePoller {
    /** Reserved for the wakeup eventfd; user tokens must differ. */
    static final long WAKE_TOKEN = Long.MIN_VALUE;

    private static final Capabilities CAPS = new Capabilities(true, true, Integer.MAX_VALUE);

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Native.callState(arena);
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
        if (!Epoll.available()) throw new UnsupportedOperationException("epoll is only available on Linux");
        this.capacity = capacity;
        this.events = arena.allocate(Epoll.EVENT_SIZE * capacity, 8);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        int ep = Epoll.create1(cs, EPOLL_CLOEXEC);
        if (ep < 0) {
            arena.close();
            throw Errno.exception("epoll_create1", -ep);
        }
        int ev = EventFd.eventfd(cs, 0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (ev < 0) {
            Unistd.close(cs, ep);
            arena.close();
            throw Errno.exception("eventfd", -ev);
        }
        int r = Epoll.ctl(cs, ep, EPOLL_CTL_ADD, ev, EPOLLIN, WAKE_TOKEN, scratch);
        if (r < 0) {
            Unistd.close(cs, ev);
            Unistd.close(cs, ep);
            arena.close();
            throw Errno.exception("epoll_ctl", -r);
        }
        this.epfd = ep;
        this.evfd = ev;
    }

    @Override public String name() { return "epoll"; }

    @Override public Capabilities capabilities() { return CAPS; }

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

    private void ctl(int op, int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkOpenPoller();
        if (token == WAKE_TOKEN) throw new IllegalArgumentException("token " + token + " is reserved");
        ctlCalls++;
        int r = Epoll.ctl(cs, epfd, op, fd, toEpoll(interest, trigger), token, scratch);
        if (r < 0) {
            String what = op == EPOLL_CTL_ADD ? "epoll_ctl(ADD)" : op == EPOLL_CTL_MOD ? "epoll_ctl(MOD)" : "epoll_ctl(DEL)";
            throw Errno.exception(what, -r, "fd " + fd);
        }
    }

    @Override
    public void register(int fd, int interest, Trigger trigger, long token) throws NativeException {
        ctl(EPOLL_CTL_ADD, fd, interest, trigger, token);
    }

    @Override
    public void modify(int fd, int interest, Trigger trigger, long token) throws NativeException {
        ctl(EPOLL_CTL_MOD, fd, interest, trigger, token);
    }

    @Override
    public void deregister(int fd) throws NativeException {
        ctl(EPOLL_CTL_DEL, fd, 0, Trigger.LEVEL, 0);
    }

    @Override
    int waitOnce(int timeoutMillis) {
        return Epoll.wait(cs, epfd, events, capacity, timeoutMillis);
    }

    @Override
    int collect(int n) {
        for (int i = 0; i < n; i++) {
            if (Epoll.data(events, i) == WAKE_TOKEN) {
                // Consume the wakeup and drop it from the batch by moving the last event into its place.
                Unistd.read(cs, evfd, counter, 0, 8);
                n--;
                if (i != n) {
                    MemorySegment.copy(events, n * EVENT_SIZE, events, i * EVENT_SIZE, EVENT_SIZE);
                }
                break;
            }
        }
        return n;
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

    @Override
    void release() {
        Unistd.close(cs, evfd);
        Unistd.close(cs, epfd);
        arena.close();
    }
}
