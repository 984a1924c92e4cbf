package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.Handler;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The upper-case echo server: every byte back, ASCII letters in upper case. */
public final class UpperServer {
    private UpperServer() {}

    /**
     * Upper-cases in place in the loop's read buffer (which the handler may scribble on: it is
     * refilled before the next call) and writes it back. Stateless: one instance serves everyone.
     */
    public static final Handler UPPER = (Connection c, MemorySegment buf, int len) -> {
        for (int i = 0; i < len; i++) {
            byte b = buf.get(ValueLayout.JAVA_BYTE, i);
            if (b >= 'a' && b <= 'z') buf.set(ValueLayout.JAVA_BYTE, i, (byte) (b - ('a' - 'A')));
        }
        c.write(buf, 0, len);
    };

    static int main(Args a, PrintStream out) throws Exception {
        return Serve.tcp("upper", a, out, () -> UPPER);
    }
}
