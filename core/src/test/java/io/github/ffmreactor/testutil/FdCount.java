package io.github.ffmreactor.testutil;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;

/** Open fds of this process (Linux /proc/self/fd), to check a test leaves none behind. */
public final class FdCount {
    private FdCount() {}

    public static boolean supported() {
        return new File("/proc/self/fd").isDirectory();
    }

    static {
        // The JDK keeps one socket open for good after its first java.net.Socket use (measured on
        // JDK 25): make that happen before any count, so it is not taken for a leak.
        java.net.InetAddress lo = java.net.InetAddress.getLoopbackAddress();
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, lo);
             java.net.Socket s = new java.net.Socket(lo, ss.getLocalPort());
             java.net.Socket t = ss.accept();
             java.net.DatagramSocket d = new java.net.DatagramSocket(0, lo)) {
            s.setSoTimeout(1000);
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
        // The JDK also opens its virtual-thread I/O pollers (epoll fds of its own) on the first
        // blocking socket call from a virtual thread, and keeps them. (In another class: lambdas
        // of this one would wait for this very initialiser to finish.)
        JdkPollersWarmUp.run();
        // libkqueue (kqueue emulated on Linux, -Dffmreactor.kqueue.library) opens fds of its own for
        // the life of the process with the first kqueue: count from after it, so that what stays
        // open afterwards is ours.
        if (io.github.ffmreactor.sys.Kqueue.EMULATED) {
            try (io.github.ffmreactor.poll.Poller p = io.github.ffmreactor.poll.Poller.open("kqueue")) {
                p.wakeup();
            } catch (io.github.ffmreactor.NativeException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        // SecureRandom (the kv store's hash key) opens /dev/random and /dev/urandom on first use
        // and keeps them for the JVM's life.
        new java.security.SecureRandom().nextLong();
    }

    public static int now() {
        String[] s = new File("/proc/self/fd").list();
        return s == null ? -1 : s.length;
    }

    /** Each open fd and what it points to, for failure messages. */
    public static String list() {
        StringBuilder sb = new StringBuilder();
        String[] s = new File("/proc/self/fd").list();
        if (s == null) return "";
        for (String f : s) {
            try {
                sb.append(f).append("->").append(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd", f))).append(' ');
            } catch (java.io.IOException e) {
                sb.append(f).append("->? ");
            }
        }
        return sb.toString();
    }

    /** Waits (up to 5 s) for the count to come back to {@code before} or below, else fails. */
    public static void assertBackTo(int before) throws Exception {
        if (before < 0) return;
        try {
            Await.until(java.time.Duration.ofSeconds(5), "fds back to " + before, () -> now() <= before);
        } catch (AssertionError e) {
            throw new AssertionError("fds leaked: " + before + " before, " + now() + " after: " + list());
        }
    }
}
