package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolException;
import java.util.Objects;

/**
 * A {@link Handler} that cuts a connection's input into lines ending in {@code \n} and hands each
 * line, without its {@code \n} (and without a {@code \r} just before it), to a {@link FrameHandler}.
 * One instance per connection: it holds the unfinished line.
 *
 * <p>A line that arrived within one read is delivered as a view of the loop's read buffer; only a
 * line that spans reads is copied, into this connection's assembly buffer, which never grows past
 * {@code maxLength} bytes. A line may be at most {@code maxLength} bytes before its {@code \n}
 * (a {@code \r} counts there, then is stripped). What happens beyond is the caller's choice:
 * {@link Overlong#ERROR} closes the connection with a {@link ProtocolException};
 * {@link Overlong#SPLIT} delivers the line in pieces of {@code maxLength} bytes with
 * {@code last == false}, then the rest (possibly empty) with {@code last == true}.
 */
public final class LineHandler extends Framing {
    /** What to do with a line longer than the limit. */
    public enum Overlong {
        /** Close the connection with a {@link ProtocolException} naming the limit. */
        ERROR,
        /** Deliver it in explicit pieces: {@code last} is false on every piece but the final one. */
        SPLIT
    }

    private final int maxLength;
    private final boolean split;

    private LineHandler(int maxLength, Overlong overlong, FrameHandler frames) {
        super(frames, maxLength);
        if (maxLength < 1) throw new IllegalArgumentException("maxLength < 1: " + maxLength);
        this.maxLength = maxLength;
        this.split = overlong == Overlong.SPLIT;
    }

    /** A line handler for one connection; e.g. {@code () -> LineHandler.of(8192, Overlong.ERROR, lines)}. */
    public static LineHandler of(int maxLength, Overlong overlong, FrameHandler frames) {
        return new LineHandler(maxLength, Objects.requireNonNull(overlong, "overlong"), frames);
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    public void onData(Connection c, MemorySegment buf, int len) {
        int pos = 0;
        while (pos < len && c.isOpen()) {
            int nl = indexOfNewline(buf, pos, len);
            if (asmLen > 0) {
                pos = continueHeld(c, buf, pos, len, nl);
            } else if (nl >= 0) {
                line(c, buf, pos, nl - pos);
                pos = nl + 1;
            } else {
                holdTail(c, buf, pos, len);
                pos = len;
            }
        }
    }

    private static int indexOfNewline(MemorySegment buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) == '\n') return i;
        }
        return -1;
    }

    /** A whole line of {@code n} bytes before its {@code \n}, at {@code buf[off]}. */
    private void line(Connection c, MemorySegment buf, long off, int n) {
        if (n > maxLength) {
            if (!split) {
                tooLong(c);
                return;
            }
            for (; n > maxLength; off += maxLength, n -= maxLength) {
                frames.onFrame(c, buf, off, maxLength, false);
                if (!c.isOpen()) return;
            }
        }
        if (n > 0 && buf.get(ValueLayout.JAVA_BYTE, off + n - 1) == '\r') n--;
        frames.onFrame(c, buf, off, n, true);
    }

    /** The end of a read with no {@code \n}: held for the next read, pieces first if too long. */
    private void holdTail(Connection c, MemorySegment buf, int pos, int len) {
        int rest = len - pos;
        if (rest > maxLength) {
            if (!split) {
                tooLong(c);
                return;
            }
            for (; rest > maxLength; pos += maxLength, rest -= maxLength) {
                frames.onFrame(c, buf, pos, maxLength, false);
                if (!c.isOpen()) return;
            }
        }
        hold(buf, pos, rest);
    }

    /** Continues the held line with {@code buf[pos, ...)}; returns where to go on. */
    private int continueHeld(Connection c, MemorySegment buf, int pos, int len, int nl) {
        int end = nl >= 0 ? nl : len;
        int n = end - pos;
        if (asmLen + n <= maxLength) {
            hold(buf, pos, n);
            if (nl < 0) return len;
            int whole = asmLen;
            asmLen = 0;
            line(c, asmSeg, 0, whole);
            return nl + 1;
        }
        if (!split) {
            tooLong(c);
            return len;
        }
        // Fill the held piece to the limit and deliver it; the rest of the line is in buf.
        int k = maxLength - asmLen;
        hold(buf, pos, k);
        asmLen = 0;
        frames.onFrame(c, asmSeg, 0, maxLength, false);
        return pos + k;
    }

    private void tooLong(Connection c) {
        asmLen = 0;
        c.closeNow(new ProtocolException("line longer than " + maxLength + " bytes"));
    }
}
