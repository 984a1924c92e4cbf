package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.FrameHandler;
import io.github.ffmreactor.loop.LineHandler;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The upper-case server: each line back with its ASCII letters in upper case, ending in
 * {@code \n}. Lines longer than {@link #MAX_LINE} come back in the same bytes, cut where the
 * pieces fell; a last line without {@code \n} comes back when the client ends its output. The
 * connection defers its flush: the lines of one packet go back in one write(2).
 */
public final class UpperServer {
    private UpperServer() {}

    static final int MAX_LINE = 64 * 1024;
    private static final byte[] NEWLINE = {'\n'};

    /**
     * Upper-cases in place (a frame's buffer is the handler's to scribble on until it returns) and
     * writes it back. Stateless: one instance serves every connection's line handler.
     */
    private static final FrameHandler UPPER_LINES = new FrameHandler() {
        /** A packet of many lines gets one write(2) back, not one per line (docs/writes.md). */
        @Override
        public void onOpen(Connection c) {
            c.deferFlush(true);
        }

        @Override
        public void onFrame(Connection c, MemorySegment buf, long off, int len, boolean last) {
            // When the line's own '\n' follows it in the buffer (a line that arrived whole), it goes
            // out in the same write: one write(2) per line, not two.
            boolean newlineFollows = last && off + len < buf.byteSize() && buf.get(ValueLayout.JAVA_BYTE, off + len) == '\n';
            upperBack(c, buf, off, newlineFollows ? len + 1 : len);
            if (last && !newlineFollows) c.write(NEWLINE);
        }

        @Override
        public void onEndMidFrame(Connection c, MemorySegment buf, long off, int len) {
            upperBack(c, buf, off, len); // the unfinished line, as it came: no newline invented
        }
    };

    private static void upperBack(Connection c, MemorySegment buf, long off, int len) {
        for (long i = off, end = off + len; i < end; i++) {
            byte b = buf.get(ValueLayout.JAVA_BYTE, i);
            if (b >= 'a' && b <= 'z') buf.set(ValueLayout.JAVA_BYTE, i, (byte) (b - ('a' - 'A')));
        }
        c.write(buf, off, len);
    }

    /** The handler for one connection. */
    public static LineHandler handler() {
        return LineHandler.of(MAX_LINE, LineHandler.Overlong.SPLIT, UPPER_LINES);
    }

    static int main(Args a, PrintStream out) throws Exception {
        return Serve.tcp("upper", a, out, UpperServer::handler);
    }
}
