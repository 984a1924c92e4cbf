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
    public void beforeAll(ExtensionContext ctx) {
        ctx.getStore(NS).put("before", Fds.openCount());
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
        assertEquals(before, after, "fds open before and after " + ctx.getDisplayName());
    }
}
