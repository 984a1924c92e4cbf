package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The long arguments of the command {@link RespParser} is reading: the one arriving (read into
 * memory of its own, its CRLF included, a piece per read) and those already in, by argument
 * index. The parser holds one reference to each ({@link BigValue}) until the command has run or
 * failed, or the connection is gone; a command that keeps one retains it.
 */
final class LongArgs {
    /** The argument arriving (null: none) and how many of its bytes (of its length + 2) are in. */
    private BigValue arriving;
    private long in;
    /** The command's long arguments by index (null for the others; null until one is needed). */
    private BigValue[] byIndex;
    private int count;
    /** Memory taken for them: counted with the held bytes against the query limit. */
    private long taken;

    boolean arriving() {
        return arriving != null;
    }

    long taken() {
        return taken;
    }

    /** Memory of the argument arriving, 0 when none (for tests). */
    long arrivingCapacity() {
        return arriving == null ? 0 : arriving.memory.byteSize();
    }

    /** A long argument of {@code len} bytes begins: its memory is taken, and {@code seg[from, end)} (its first bytes) go there. */
    void start(long len, MemorySegment seg, long from, long end) {
        arriving = BigValue.allocate(len, 2);
        taken += len + 2;
        in = end - from;
        MemorySegment.copy(seg, from, arriving.memory, 0, in);
    }

    /** Copies the arriving argument's next bytes from {@code buf[off, off+len)}: how many were its (up to its CRLF). */
    int take(MemorySegment buf, long off, int len) {
        int n = (int) Math.min(len, arriving.memory.byteSize() - in);
        MemorySegment.copy(buf, off, arriving.memory, in, n);
        in += n;
        return n;
    }

    /** Whether the arriving argument has all its bytes, its CRLF included. */
    boolean complete() {
        return in == arriving.memory.byteSize();
    }

    /** Whether the complete argument ends with CRLF. */
    boolean endsWithCrlf() {
        long at = arriving.bytes.byteSize();
        return arriving.memory.get(ValueLayout.JAVA_BYTE, at) == '\r' && arriving.memory.get(ValueLayout.JAVA_BYTE, at + 1) == '\n';
    }

    /** The complete argument becomes argument {@code index} of the command ({@code capacity}: its argument arrays' length). */
    BigValue place(int index, int capacity) {
        BigValue v = arriving;
        arriving = null;
        in = 0;
        if (byIndex == null || byIndex.length < capacity) byIndex = byIndex == null ? new BigValue[capacity] : Arrays.copyOf(byIndex, capacity);
        byIndex[index] = v;
        count++;
        return v;
    }

    /** The command's long arguments by index for a command of {@code argc} arguments, or null when it has none. */
    BigValue[] forCommand(int argc, int capacity) {
        if (count == 0) return null;
        if (byIndex.length < argc) byIndex = Arrays.copyOf(byIndex, capacity); // arguments came after the last one
        return byIndex;
    }

    /** Lets go of all of them (the command ran or failed, or the connection is gone). */
    void drop() {
        taken = 0;
        if (arriving != null) {
            arriving.run();
            arriving = null;
            in = 0;
        }
        if (count == 0) return;
        for (int i = 0; i < byIndex.length && count > 0; i++) {
            if (byIndex[i] != null) {
                byIndex[i].run();
                byIndex[i] = null;
                count--;
            }
        }
        if (byIndex.length > RespParser.KEEP_ARGS) byIndex = null;
    }
}
