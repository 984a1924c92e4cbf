package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.poll.Trigger;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The echo server: every byte back, unchanged. */
public final class EchoServer {
    private EchoServer() {}

    static final Set<String> OPTIONS = Set.of("host", "port", "trigger", "backend");
    static final String USAGE = "--host 127.0.0.1 --port 0 --trigger level|edge --backend auto|epoll|kqueue|poll|select";

    /** Echoes every byte back. Stateless: one instance serves every connection. */
    public static final Handler ECHO = (Connection c, MemorySegment buf, int len) -> c.write(buf, 0, len);

    static int main(Args a, PrintStream out) throws Exception {
        String host = a.get("host", "127.0.0.1");
        int port = a.intValue("port", 0, 0, 65535);
        Trigger trigger = Trigger.valueOf(a.oneOf("trigger", "level", "level", "edge").toUpperCase(Locale.ROOT));
        String backend = a.oneOf("backend", System.getProperty("ffmreactor.backend", "auto"),
                "auto", "epoll", "kqueue", "poll", "select");

        EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(backend));
        Listener listener;
        try {
            listener = loop.listen(new InetSocketAddress(InetAddress.getByName(host), port), trigger, () -> ECHO);
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        CountDownLatch done = new CountDownLatch(1);
        // SIGINT and SIGTERM run shutdown hooks: stop the loop, let it close every fd, print counters.
        Thread hook = new Thread(() -> {
            loop.shutdown(Duration.ofSeconds(2));
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "ffmreactor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.printf("ffmreactor echo listening on %s:%d backend=%s trigger=%s pid=%d%n",
                listener.localAddress().getAddress().getHostAddress(), listener.port(), loop.backend(),
                trigger.name().toLowerCase(Locale.ROOT), ProcessHandle.current().pid());
        out.flush();
        try {
            loop.run();
        } finally {
            out.println("ffmreactor echo stopped: " + loop.stats());
            out.flush();
            done.countDown();
        }
        return 0;
    }
}
