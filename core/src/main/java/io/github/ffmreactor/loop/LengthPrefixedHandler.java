package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolException;
import java.nio.ByteOrder;

/**
 * A {@link Handler} for frames that start with a big-endian unsigned length field of 1, 2 or 4
 * bytes, followed by that many payload bytes. Each payload goes to a {@link FrameHandler} (the
 * length field not included; a length of 0 is an empty frame). One instance per connection.
 *
 * <p>A frame that arrived within one read is delivered as a view of the loop's read buffer; only a
 * frame that spans reads is copied, into this connection's assembly buffer (at most
 * {@code fieldBytes + maxFrame} bytes). A length field above {@code maxFrame} closes the
 * connection with a {@link ProtocolException} naming both numbers, before any payload is read.
 */
public final class LengthPrefixedHandler extends Framing {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final int fieldBytes;
    private final int maxFrame;
    /** The payload length of the frame being assembled, once its whole length field is held; else -1. */
    private long frameLen = -1;

    private LengthPrefixedHandler(int fieldBytes, int maxFrame, FrameHandler frames) {
        super(frames, checkedCapacity(fieldBytes, maxFrame));
        this.fieldBytes = fieldBytes;
        this.maxFrame = maxFrame;
    }

    private static int checkedCapacity(int fieldBytes, int maxFrame) {
        if (fieldBytes != 1 && fieldBytes != 2 && fieldBytes != 4) {
            throw new IllegalArgumentException("length field must be 1, 2 or 4 bytes, got " + fieldBytes);
        }
        if (maxFrame < 0 || maxFrame > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxFrame out of range: " + maxFrame);
        }
        return fieldBytes + maxFrame;
    }

    /** A handler for one connection; e.g. {@code () -> LengthPrefixedHandler.of(2, 16384, frames)}. */
    public static LengthPrefixedHandler of(int fieldBytes, int maxFrame, FrameHandler frames) {
        return new LengthPrefixedHandler(fieldBytes, maxFrame, frames);
    }

    /** The size of the length field: 1, 2 or 4 bytes. */
    public int fieldBytes() {
        return fieldBytes;
    }

    public int maxFrame() {
        return maxFrame;
    }

    private long length(MemorySegment buf, long off) {
        return switch (fieldBytes) {
            case 1 -> Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, off));
            case 2 -> Short.toUnsignedInt(buf.get(U16, off));
            default -> Integer.toUnsignedLong(buf.get(U32, off));
        };
    }

    @Override
    public void onData(Connection c, MemorySegment buf, int len) {
        int pos = 0;
        while (pos < len && c.isOpen()) {
            if (asmLen == 0) {
                int avail = len - pos;
                if (avail >= fieldBytes) {
                    long n = length(buf, pos);
                    if (n > maxFrame) {
                        tooLarge(c, n);
                        return;
                    }
                    if (avail - fieldBytes >= n) {
                        frames.onFrame(c, buf, pos + fieldBytes, (int) n, true);
                        pos += fieldBytes + (int) n;
                        continue;
                    }
                    frameLen = n;
                }
                hold(buf, pos, avail);
                return;
            }
            pos = continueHeld(c, buf, pos, len);
        }
    }

    /** Adds to the held frame from {@code buf[pos, len)}; returns where to go on. */
    private int continueHeld(Connection c, MemorySegment buf, int pos, int len) {
        if (frameLen < 0) {
            int k = Math.min(fieldBytes - asmLen, len - pos);
            hold(buf, pos, k);
            pos += k;
            if (asmLen < fieldBytes) return pos;
            long n = length(asmSeg, 0);
            if (n > maxFrame) {
                tooLarge(c, n);
                return len;
            }
            frameLen = n;
        }
        int k = (int) Math.min(fieldBytes + frameLen - asmLen, len - pos);
        hold(buf, pos, k);
        pos += k;
        if (asmLen == fieldBytes + frameLen) {
            int n = (int) frameLen;
            asmLen = 0;
            frameLen = -1;
            frames.onFrame(c, asmSeg, fieldBytes, n, true);
        }
        return pos;
    }

    private void tooLarge(Connection c, long n) {
        asmLen = 0;
        frameLen = -1;
        c.closeNow(new ProtocolException("frame of " + n + " bytes is over the limit of " + maxFrame));
    }
}
