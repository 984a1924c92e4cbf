package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.net.Unix;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Makes a loop's channels: connections from an fd, listeners, connects and datagram sockets, all
 * put on the loop through its {@link Registry}. Sockets are made on the loop thread (a caller on
 * another thread waits for it there), so if the loop never runs the call, nothing is left open.
 * What each public method promises is on {@link EventLoop}.
 */
final class ChannelFactory {
    /** The kernel's accept queue for every listener. */
    private static final int BACKLOG = 1024;

    private final EventLoop loop;

    ChannelFactory(EventLoop loop) {
        this.loop = loop;
    }

    Connection register(int fd, Trigger trigger, Handler handler) throws NativeException {
        loop.tasks.checkInLoop();
        return loop.registry.adopt(fd, trigger, handler);
    }

    Listener listen(InetSocketAddress address, Trigger trigger, Supplier<? extends Handler> handlers,
                    boolean reusePort) throws NativeException {
        Registry r = loop.registry;
        r.checkTrigger(trigger);
        return loop.tasks.call(() -> r.attachListener(Tcp.listen(address, BACKLOG, reusePort),
                fd -> new Listener(loop, fd, trigger, handlers, Tcp.localAddress(fd))));
    }

    Listener listen(Path path, Trigger trigger, Supplier<? extends Handler> handlers) throws NativeException {
        Registry r = loop.registry;
        r.checkTrigger(trigger);
        return loop.tasks.call(() -> r.attachListener(Unix.listen(path, BACKLOG),
                fd -> new Listener(loop, fd, trigger, handlers, path)));
    }

    CompletableFuture<Connection> connect(InetSocketAddress address, Trigger trigger, Handler handler,
                                          Duration timeout) {
        return Connector.connect(loop, new Connector.TcpTarget(address), trigger, handler, timeout);
    }

    CompletableFuture<Connection> connect(Path path, Trigger trigger, Handler handler, Duration timeout) {
        return Connector.connect(loop, new Connector.UnixTarget(path), trigger, handler, timeout);
    }

    Datagram openDatagram(InetSocketAddress address, DatagramOptions options, DatagramHandler handler)
            throws NativeException {
        String refusal = loop.engine.datagramRefusal();
        if (refusal != null) throw new UnsupportedOperationException(refusal);
        return loop.tasks.call(() -> Datagram.open(loop, address, options, handler));
    }
}
