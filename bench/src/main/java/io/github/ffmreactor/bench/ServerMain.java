package io.github.ffmreactor.bench;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.WaitStrategy;
import io.github.ffmreactor.Trigger;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * {@code server <impl> [--port 0]}: one echo server on 127.0.0.1, one event-loop thread, in this
 * process. Prints {@code ready port=P pid=N impl=X} once listening; answers a {@code stats} line on
 * stdin with one {@code stats ...} line (the loop's counters and the loop thread's allocated bytes,
 * where the server has them); exits when stdin reaches end of file, so a bench that dies leaves no
 * server behind.
 */
final class ServerMain {
    private ServerMain() {}

    /** A running server: its port, its counters (or null), and how to stop it. */
    interface Running extends AutoCloseable {
        int port();

        /** One line of counters, e.g. {@code waits=.. events=.. reads=..}, or "none". */
        String stats();

        /** Stops the server; interrupted while waiting for it, it keeps the interrupt set and returns. */
        @Override
        void close() throws IOException;
    }

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 2, Set.of("port", "host"));
        if (args.length < 2 || args[1].startsWith("--")) throw new Opts.Bad("which server? one of " + Servers.ALL);
        String impl = args[1];
        String why = Servers.unavailableReason(impl);
        if (why != null) {
            System.err.println(why);
            return 3;
        }
        int port = o.intValue("port", 0, 0, 65535);
        if (impl.startsWith("c-")) {
            Process p = new ProcessBuilder(CServer.binary(CServer.source(impl)).toString(), Integer.toString(port),
                    impl.endsWith("-spin") ? "spin" : "block").inheritIO().start();
            return p.waitFor();
        }
        Running r = start(impl, port);
        System.out.println("ready port=" + r.port() + " pid=" + ProcessHandle.current().pid() + " impl=" + impl);
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.trim().equals("stats")) {
                    System.out.println("stats " + r.stats());
                    System.out.flush();
                }
            }
        } finally {
            r.close();
        }
        return 0;
    }

    static Running start(String impl, int port) throws Exception {
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        return switch (impl) {
            case "ffm-edge" -> ffm(addr, "epoll", Trigger.EDGE, WaitStrategy.BLOCK);
            case "ffm-level" -> ffm(addr, "epoll", Trigger.LEVEL, WaitStrategy.BLOCK);
            case "ffm-oneshot" -> ffm(addr, "epoll", Trigger.ONESHOT, WaitStrategy.BLOCK);
            case "ffm-kqueue-edge" -> ffm(addr, "kqueue", Trigger.EDGE, WaitStrategy.BLOCK);
            case "ffm-kqueue-level" -> ffm(addr, "kqueue", Trigger.LEVEL, WaitStrategy.BLOCK);
            case "ffm-kqueue-oneshot" -> ffm(addr, "kqueue", Trigger.ONESHOT, WaitStrategy.BLOCK);
            case "ffm-uring" -> ffm(addr, "io_uring", Trigger.EDGE, WaitStrategy.BLOCK);
            case "ffm-poll" -> ffm(addr, "poll", Trigger.LEVEL, WaitStrategy.BLOCK);
            case "ffm-select" -> ffm(addr, "select", Trigger.LEVEL, WaitStrategy.BLOCK);
            case "ffm-edge-spin" -> ffm(addr, "epoll", Trigger.EDGE, WaitStrategy.SPIN);
            case "ffm-edge-stp" -> ffm(addr, "epoll", Trigger.EDGE, WaitStrategy.parse(Servers.STP));
            case "nio" -> NioEchoServer.start(addr);
            case "netty-epoll" -> NettyEchoServer.start(addr, NettyEchoServer.Transport.EPOLL, false);
            case "netty-uring" -> NettyEchoServer.start(addr, NettyEchoServer.Transport.IO_URING, false);
            case "netty-nio" -> NettyEchoServer.start(addr, NettyEchoServer.Transport.NIO, false);
            case "netty-epoll-spin" -> NettyEchoServer.start(addr, NettyEchoServer.Transport.EPOLL, true);
            case "vthreads" -> VirtualThreadEchoServer.start(addr);
            default -> throw new Opts.Bad("unknown server '" + impl + "' (known: " + Servers.ALL + ")");
        };
    }

    /** Bytes the thread has allocated since it started (HotSpot's per-thread TLAB counter). */
    static LongSupplier allocatedBytes(Thread t) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = t.threadId();
        return () -> mx.getThreadAllocatedBytes(id);
    }

    private static Running ffm(InetSocketAddress addr, String backend, Trigger trigger, WaitStrategy wait)
            throws Exception {
        EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)).withWait(wait));
        Listener l;
        try {
            // The core module's own echo handler: the bench measures what `ffmreactor echo` runs.
            l = loop.listen(addr, trigger, () -> EchoServer.ECHO);
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        Thread t = loop.start("ffm-" + backend + "-" + trigger.name().toLowerCase(Locale.ROOT));
        LongSupplier alloc = allocatedBytes(t);
        int port = l.port();
        return new Running() {
            @Override public int port() { return port; }
            @Override public String stats() { return loop.stats() + " alloc=" + alloc.getAsLong(); }
            @Override public void close() { loop.close(); }
        };
    }
}
