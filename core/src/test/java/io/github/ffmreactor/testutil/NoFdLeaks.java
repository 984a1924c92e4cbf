package io.github.ffmreactor.testutil;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves fds open: /proc/self/fd is counted before the first test and
 * after the last ({@link FdCount}, which first lets the JDK open the fds it keeps for good).
 */
public final class NoFdLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoFdLeaks.class);

    @Override
    public void beforeAll(ExtensionContext ctx) {
        ctx.getStore(NS).put("before", FdCount.now());
    }

    @Override
    public void afterAll(ExtensionContext ctx) throws Exception {
        FdCount.assertBackTo(ctx.getStore(NS).get("before", Integer.class));
    }
}
