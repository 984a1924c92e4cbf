package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.Handler;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/** The echo server: every byte back, unchanged. */
public final class EchoServer {
    private EchoServer() {}

    static final Set<String> OPTIONS = Serve.TCP_OPTIONS;
    static final String USAGE = Serve.TCP_USAGE;

    /** Echoes every byte back. Stateless: one instance serves every connection. */
    public static final Handler ECHO = (Connection c, MemorySegment buf, int len) -> c.write(buf, 0, len);

    static int main(Args a, PrintStream out) throws Exception {
        return Serve.tcp("echo", a, out, () -> ECHO);
    }
}
