package io.github.ffmreactor.bench;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.sys.Uring;
import java.util.ArrayList;
import java.util.List;

/** The echo servers under test, by name. */
final class Servers {
    private Servers() {}

    /** Every implementation the bench knows, in report order. */
    static final List<String> ALL = List.of("c-epoll", "c-uring", "ffm-uring", "ffm-edge", "ffm-level", "ffm-oneshot",
            "ffm-kqueue-edge", "ffm-kqueue-level", "ffm-kqueue-oneshot", "ffm-poll", "ffm-select", "nio", "netty-epoll", "netty-uring", "netty-nio", "vthreads", "c-epoll-spin", "ffm-edge-spin", "ffm-edge-stp",
            "netty-epoll-spin");

    /** The low-latency variants: they spin instead of sleeping (spin-then-park parks when idle). */
    static final List<String> SPINNING = List.of("c-epoll-spin", "ffm-edge-spin", "ffm-edge-stp", "netty-epoll-spin");

    /** ffm-edge-stp's wait: long enough to span a one-connection client's turnaround, short when idle. */
    static final String STP = "spin-then-park:200us";

    /**
     * Those that can run here: ffmreactor backends the OS offers, netty-epoll where Netty's epoll
     * native library loads (Linux on x86_64 or aarch64: the two classifiers bench/pom.xml ships),
     * netty-uring where Netty's io_uring transport loads and the kernel lets it set up a ring
     * (Linux on x86_64: the one classifier bench/pom.xml ships),
     * C if gcc exists (c-uring: and liburing.h, and a kernel that lets this process use io_uring).
     */
    static List<String> available() {
        List<String> r = new ArrayList<>();
        List<String> backends = Poller.available();
        for (String s : ALL) {
            switch (s) {
                case "c-epoll", "c-epoll-spin" -> { if (CServer.gccPath() != null && backends.contains("epoll")) r.add(s); }
                case "c-uring" -> { if (CServer.uringUnavailable() == null) r.add(s); }
                case "ffm-edge", "ffm-level", "ffm-oneshot", "ffm-edge-spin", "ffm-edge-stp" -> { if (backends.contains("epoll")) r.add(s); }
                case "ffm-kqueue-edge", "ffm-kqueue-level", "ffm-kqueue-oneshot" -> { if (backends.contains("kqueue")) r.add(s); }
                case "ffm-uring" -> { if (EventLoop.backends().contains(Backend.IO_URING)) r.add(s); }
                case "ffm-poll" -> { if (backends.contains("poll")) r.add(s); }
                case "ffm-select" -> { if (backends.contains("select")) r.add(s); }
                case "netty-epoll", "netty-epoll-spin" -> { if (NettyEpoll.AVAILABLE) r.add(s); }
                case "netty-uring" -> { if (NettyUring.AVAILABLE) r.add(s); }
                default -> r.add(s);
            }
        }
        return r;
    }

    /** Why {@code impl} cannot run here, or null if it can. */
    static String unavailableReason(String impl) {
        if (!ALL.contains(impl)) return "unknown server '" + impl + "' (known: " + String.join(", ", ALL) + ")";
        if (available().contains(impl)) return null;
        if (impl.startsWith("c-epoll") && CServer.gccPath() == null) return impl + " skipped: no gcc on PATH to build bench/src/main/c/echo_epoll.c";
        if (impl.equals("c-uring")) return impl + " skipped: " + CServer.uringUnavailable();
        if (impl.equals("ffm-uring")) return impl + " skipped: " + Uring.unavailableReason();
        if (impl.startsWith("netty-epoll")) return impl + " skipped: Netty's epoll transport cannot run here (" + NettyEpoll.CAUSE + ")";
        if (impl.equals("netty-uring")) return impl + " skipped: Netty's io_uring transport cannot run here (" + NettyUring.CAUSE + ")";
        return impl + " skipped: backend not available on this OS (available: " + Poller.available() + ")";
    }

    /**
     * Whether Netty's epoll transport runs here, asked once: {@code Epoll.isAvailable()} loads the
     * native library for this OS and arch from the jar, and is false (with a cause) anywhere the
     * bench ships none, rather than failing later in the server.
     */
    private static final class NettyEpoll {
        static final boolean AVAILABLE = io.netty.channel.epoll.Epoll.isAvailable();
        static final String CAUSE = AVAILABLE ? "" : String.valueOf(io.netty.channel.epoll.Epoll.unavailabilityCause());
    }

    /**
     * Whether Netty's io_uring transport runs here, asked once: {@code IoUring.isAvailable()} loads
     * its native library and sets up a ring, so it is false with a cause on another arch, on a
     * kernel without io_uring, or where seccomp, {@code kernel.io_uring_disabled} or the memlock
     * limit refuse it.
     */
    private static final class NettyUring {
        static final boolean AVAILABLE = io.netty.channel.uring.IoUring.isAvailable();
        static final String CAUSE = AVAILABLE ? "" : String.valueOf(io.netty.channel.uring.IoUring.unavailabilityCause());
    }

    static boolean isFfm(String impl) {
        return impl.startsWith("ffm-");
    }
}
