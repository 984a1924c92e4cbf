package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.Datagram;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopGroup;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.WaitStrategy;
import io.github.ffmreactor.Trigger;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** What every TCP server command shares: options, one loop or a group, banner, shutdown on SIGINT/SIGTERM. */
final class Serve {
    private Serve() {}

    static final Set<String> TCP_OPTIONS = Set.of("host", "port", "trigger", "backend", "loops", "wait");
    static final String TCP_USAGE = "--host 127.0.0.1 --port 0 --trigger level|edge --backend "
            + String.join("|", Backend.ids()) + " --loops 1"
            + " --wait " + WaitStrategy.SYNTAX;

    static Backend backend(Args a) throws Args.BadArgs {
        String name = a.oneOf("backend", System.getProperty(Backend.PROPERTY, "auto"), Backend.ids().toArray(String[]::new));
        return Backend.parse(name);
    }

    /** {@code base} with the --backend and --wait the command line gives (--wait's default: block). */
    static LoopOptions options(Args a, LoopOptions base) throws Args.BadArgs {
        return options(a, base, "block");
    }

    /** As {@link #options(Args, LoopOptions)}, for a server whose --wait defaults to {@code defaultWait}. */
    static LoopOptions options(Args a, LoopOptions base, String defaultWait) throws Args.BadArgs {
        WaitStrategy wait;
        try {
            wait = WaitStrategy.parse(a.get("wait", defaultWait));
        } catch (IllegalArgumentException e) {
            throw new Args.BadArgs("--wait: " + e.getMessage());
        }
        return base.withBackend(backend(a)).withWait(wait);
    }

    /**
     * {@code --host} and {@code --port}. A host that does not resolve is a bad argument (exit 2),
     * like a bad port; an empty one is too (the resolver would quietly take it for the loopback).
     */
    static InetSocketAddress address(Args a) throws Exception {
        String host = a.get("host", "127.0.0.1");
        int port = a.intValue("port", 0, 0, 65535);
        if (host.isBlank()) throw new Args.BadArgs("--host must name an address or a host, got '" + host + "'");
        InetAddress at;
        try {
            at = InetAddress.getByName(host.strip());
        } catch (UnknownHostException e) {
            throw new Args.BadArgs("--host '" + host + "' does not resolve: " + e.getMessage());
        }
        return new InetSocketAddress(at, port);
    }

    static int tcp(String name, Args a, PrintStream out, Supplier<? extends Handler> handlers) throws Exception {
        return tcp(name, a, out, handlers, LoopOptions.defaults());
    }

    static int tcp(String name, Args a, PrintStream out, Supplier<? extends Handler> handlers, LoopOptions base)
            throws Exception {
        InetSocketAddress address = address(a);
        Trigger trigger = trigger(a);
        LoopOptions options = options(a, base);
        int loops = a.intValue("loops", 1, 1, 256);
        if (loops == 1) {
            EventLoop loop = EventLoop.open(options);
            Listener listener;
            try {
                listener = loop.listen(address, trigger, handlers);
            } catch (Exception e) {
                loop.close();
                throw e;
            }
            return run(name, loop, listener, trigger, out);
        }
        LoopGroup group = LoopGroup.start(loops, options);
        List<Listener> ls;
        try {
            ls = group.listen(address, trigger, handlers);
        } catch (Exception e) {
            group.close();
            throw e;
        }
        banner(name, out, ls.get(0).localAddress(), group.loop(0).backend(), trigger, loops, options.waitStrategy());
        CountDownLatch done = onSignal(() -> group.shutdown(Duration.ofSeconds(2)));
        try {
            while (!group.awaitTermination(Duration.ofDays(1))) {
                // keep waiting
            }
        } finally {
            out.println("ffmreactor " + name + " stopped: " + group.stats());
            out.flush();
            group.close();
            done.countDown();
        }
        return exitCode(name, group.terminationCause());
    }

    /** 0 after an orderly stop; 1, with the cause on stderr, when a loop died. */
    static int exitCode(String name, Throwable cause) {
        if (cause == null) return 0;
        System.err.println("ffmreactor " + name + ": event loop failed: " + cause);
        System.err.flush();
        return 1;
    }

    static Trigger trigger(Args a) throws Args.BadArgs {
        return Trigger.valueOf(a.oneOf("trigger", "level", "level", "edge").toUpperCase(Locale.ROOT));
    }

    /** Prints the banner and runs {@code loop} on this thread until a signal stops it. */
    static int run(String name, EventLoop loop, Listener listener, Trigger trigger, PrintStream out) {
        banner(name, out, listener.localAddress(), loop.backend(), trigger, 1, loop.options().waitStrategy());
        CountDownLatch done = onSignal(() -> loop.shutdown(Duration.ofSeconds(2)));
        try {
            loop.run();
        } finally {
            out.println("ffmreactor " + name + " stopped: " + loop.stats());
            out.flush();
            done.countDown();
        }
        return exitCode(name, loop.terminationCause());
    }

    /**
     * Prints a UDP server's banner ({@code rcvbuf} is what the kernel granted, as {@code ss -um}
     * shows it; {@code asked} the words after it, e.g. {@code " (default)"}) and runs {@code loop}
     * on this thread until a signal stops it; the stop line ends with {@code counters}. A datagram
     * socket is not a connection: a graceful shutdown has nothing to flush, so a signal stops.
     */
    static int udp(String name, EventLoop loop, Datagram ch, String settings, String asked, int batch, PrintStream out,
                   Supplier<String> counters) throws Exception {
        InetSocketAddress at = ch.localAddress();
        WaitStrategy wait = loop.options().waitStrategy();
        out.printf("ffmreactor %s listening on %s:%d (udp) backend=%s%s rcvbuf=%d%s io=%s pid=%d%s%n", name,
                at.getAddress().getHostAddress(), at.getPort(), loop.backend(), settings, ch.receiveBuffer(), asked,
                ch.batched() ? "recvmmsg/sendmmsg batch=" + batch : "recvfrom/sendto", ProcessHandle.current().pid(),
                WaitStrategy.BLOCK.equals(wait) ? "" : " wait=" + wait);
        out.flush();
        CountDownLatch done = onSignal(loop::stop);
        try {
            loop.run();
        } finally {
            out.println("ffmreactor " + name + " stopped: " + loop.stats() + " udp: " + ch.counters() + counters.get());
            out.flush();
            done.countDown();
        }
        return exitCode(name, loop.terminationCause());
    }

    static void banner(String name, PrintStream out, InetSocketAddress at, Backend backend, Trigger trigger, int loops,
                       WaitStrategy wait) {
        // The one-loop line is the original echo banner, unchanged: scripts read the port from it.
        out.printf("ffmreactor %s listening on %s:%d backend=%s trigger=%s pid=%d%s%s%n", name,
                at.getAddress().getHostAddress(), at.getPort(), backend,
                trigger.name().toLowerCase(Locale.ROOT), ProcessHandle.current().pid(),
                loops > 1 ? " loops=" + loops : "", WaitStrategy.BLOCK.equals(wait) ? "" : " wait=" + wait);
        out.flush();
    }

    /** SIGINT and SIGTERM run shutdown hooks: {@code stop} starts a graceful stop; the hook waits for it. */
    static CountDownLatch onSignal(Runnable stop) {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "ffmreactor-shutdown"));
        return done;
    }
}
