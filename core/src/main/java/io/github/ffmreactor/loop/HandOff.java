package io.github.ffmreactor.loop;

import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.Trigger;
import java.util.function.Supplier;

/** An accepted fd travelling from an acceptor loop to the loop that will serve it. */
final class HandOff implements Inbox.Abandonable {
    private final EventLoop target;
    private final int fd;
    private final Trigger trigger;
    private final Supplier<? extends Handler> handlers;

    HandOff(EventLoop target, int fd, Trigger trigger, Supplier<? extends Handler> handlers) {
        this.target = target;
        this.fd = fd;
        this.trigger = trigger;
        this.handlers = handlers;
    }

    @Override
    public void run() {
        if (target.life.stopping) {
            abandon();
            return;
        }
        target.accepting.serve(fd, trigger, handlers);
    }

    /** The fd will not be served: close it. */
    @Override
    public void abandon() {
        Fds.closeQuietly(fd);
    }
}
