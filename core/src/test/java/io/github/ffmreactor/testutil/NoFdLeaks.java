package io.github.ffmreactor.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves fds open: /proc/self/fd is counted before the first test and
 * after the last. The JVM opens a few fds lazily (jar files, /dev/random), so the count is taken
 * again after a short settle loop, never by sleeping a fixed time.
 */
public final class NoFdLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoFdLeaks.class);

    @Override
    public void beforeAll(ExtensionContext ctx) throws Exception {
        warmUpJdkPollers();
        ctx.getStore(NS).put("before", Fds.openCount());
    }

    private static volatile boolean warm;

    /**
     * The JDK opens its virtual-thread I/O pollers (epoll fds of its own) on the first blocking
     * socket call from a virtual thread, and keeps them: make that happen before counting.
     */
    private static synchronized void warmUpJdkPollers() throws Exception {
        if (warm) return;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             var ex = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var accepted = ex.submit(() -> {
                try (java.net.Socket a = ss.accept()) {
                    a.getOutputStream().write(1);
                    return a.getInputStream().read();
                }
            });
            ex.submit(() -> {
                try (java.net.Socket c = new java.net.Socket(ss.getInetAddress(), ss.getLocalPort())) {
                    int b = c.getInputStream().read();
                    c.getOutputStream().write(b);
                }
                return null;
            }).get(10, java.util.concurrent.TimeUnit.SECONDS);
            accepted.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        warm = true;
    }

    @Override
    public void afterAll(ExtensionContext ctx) throws Exception {
        int before = ctx.getStore(NS).get("before", Integer.class);
        if (before < 0) return; // no /proc: nothing to count on this OS
        int after = Fds.openCount();
        // Sockets in a loop closed by another thread can take a moment to be released.
        for (int i = 0; i < 100 && after > before; i++) {
            Thread.sleep(20);
            after = Fds.openCount();
        }
        if (after != before) {
            StringBuilder sb = new StringBuilder();
            for (String f : new java.io.File("/proc/self/fd").list()) {
                try {
                    sb.append(f).append("->").append(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd", f))).append(' ');
                } catch (java.io.IOException ignored) {
                }
            }
            assertEquals(before, after, "fds open before and after " + ctx.getDisplayName() + ": " + sb);
        }
    }
}
