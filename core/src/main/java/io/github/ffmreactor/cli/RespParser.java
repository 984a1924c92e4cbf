package io.github.ffmreactor.cli;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RESP2 requests as redis-cli, redis-benchmark and telnet send them: multibulk arrays
 * ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}) and inline lines ({@code GET k\r\n}), any number per
 * read, any of them split anywhere across reads.
 *
 * <p>A command that arrives whole is handed over as views of the read buffer (no copy); the tail
 * of a read that holds only part of a command is kept in a per-connection heap buffer, grown by
 * doubling and then reused, and later reads are appended to it until the command is whole. A
 * malformed request ends the stream with one protocol error, in Redis's words where Redis has
 * them; after that the parser accepts nothing more.
 */
final class RespParser {
    /** What receives the parsed commands. */
    interface Sink {
        /**
         * One command: {@code argc} arguments, argument i at {@code seg[off[i], off[i]+len[i])}, valid
         * during the call. Returns false to stop parsing (the connection is closing).
         */
        boolean onCommand(MemorySegment seg, long[] off, int[] len, int argc);

        /** A malformed request: {@code message} is the error text without "-ERR ". Nothing follows. */
        void onProtocolError(String message);

        /**
         * Whether the next command may run now. False (the connection's output is backed up) stalls
         * the parser: the command and all after it are held until {@link #resume}.
         */
        default boolean mayRun() {
            return true;
        }
    }

    /** Redis's limit on an inline line and on a '*' or '$' header line. */
    static final int MAX_INLINE = 64 * 1024;
    /** At most this many arguments in one multibulk command (Redis: 1024*1024 before authentication). */
    static final int MAX_ARGS = 1024 * 1024;

    private static final int INCOMPLETE = -1, FAILED = -2;

    private final long maxBulk;
    private final long maxQuery;
    private final Sink sink;

    private long[] argOff = new long[8];
    private int[] argLen = new int[8];
    private int argc;

    private byte[] held = new byte[0];
    private MemorySegment heldSeg = MemorySegment.ofArray(held);
    private int heldLen;
    /** The held bytes cannot hold a whole command before there are at least this many. */
    private long need;
    private boolean failed;
    private boolean stalled;

    /**
     * @param maxBulk  the longest bulk string accepted ("invalid bulk length" above it)
     * @param maxQuery the most bytes held for one unfinished command (Redis's client-query-buffer-limit)
     */
    RespParser(long maxBulk, long maxQuery, Sink sink) {
        this.maxBulk = maxBulk;
        this.maxQuery = maxQuery;
        this.sink = sink;
    }

    /** Bytes held for an unfinished command. */
    int heldBytes() {
        return heldLen;
    }

    boolean failed() {
        return failed;
    }

    /** Whether whole commands wait, held, for {@link #resume} (the sink said they may not run). */
    boolean stalled() {
        return stalled;
    }

    /** Runs the held commands the sink stalled, as far as it lets them run. */
    void resume() {
        if (failed || heldLen == 0) return;
        stalled = false;
        long used = parse(heldSeg, 0, heldLen);
        if (used < 0) return;
        int rest = heldLen - (int) used;
        if (rest > 0 && used > 0) System.arraycopy(held, (int) used, held, 0, rest);
        heldLen = rest;
        shrink();
    }

    /** Parses {@code buf[off, off+len)}, handing each whole command to the sink. */
    void feed(MemorySegment buf, long off, int len) {
        if (failed || len == 0) return;
        if (heldLen == 0) {
            stalled = false;
            long used = parse(buf, off, off + len);
            if (used < 0) return;
            int rest = (int) (off + len - used);
            if (rest > 0) hold(buf, used, rest);
            return;
        }
        if (!hold(buf, off, len) || (heldLen < need && !stalled)) return;
        stalled = false;
        long used = parse(heldSeg, 0, heldLen);
        if (used < 0) return;
        int rest = heldLen - (int) used;
        if (rest > 0 && used > 0) System.arraycopy(held, (int) used, held, 0, rest);
        heldLen = rest;
        shrink();
    }

    /** Over this, the buffer a spanning command grew is dropped once it is empty. */
    static final int KEEP_HELD = 1 << 20;

    /** An idle connection does not keep the buffer a large command needed. */
    private void shrink() {
        if (heldLen == 0 && held.length > KEEP_HELD) {
            held = new byte[0];
            heldSeg = MemorySegment.ofArray(held);
        }
    }

    /** The capacity of the buffer for spanning commands (for tests). */
    int heldCapacity() {
        return held.length;
    }

    private boolean hold(MemorySegment buf, long off, int n) {
        long want = (long) heldLen + n;
        if (want > maxQuery) {
            fail("Protocol error: unfinished command over the query buffer limit of " + maxQuery + " bytes");
            return false;
        }
        if (want > held.length) {
            long cap = Math.min(Math.min(maxQuery, Integer.MAX_VALUE - 16), Math.max(256, Long.highestOneBit(want - 1) << 1));
            held = java.util.Arrays.copyOf(held, (int) Math.max(cap, want));
            heldSeg = MemorySegment.ofArray(held);
        }
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, off, held, heldLen, n);
        heldLen = (int) want;
        return true;
    }

    /** Whole commands from seg[p, end): the offset after the last one, or -1 when parsing stopped for good. */
    private long parse(MemorySegment seg, long p, long end) {
        while (p < end) {
            long start = p;
            need = 0;
            long r = seg.get(ValueLayout.JAVA_BYTE, p) == '*' ? multibulk(seg, p, end) : inline(seg, p, end);
            if (r == FAILED) return -1;
            if (r == INCOMPLETE) return start;
            p = r;
            if (argc > 0) {
                if (!sink.mayRun()) {
                    argc = 0;
                    stalled = true;
                    return start;
                }
                int n = argc;
                argc = 0;
                if (!sink.onCommand(seg, argOff, argLen, n)) {
                    failed = true; // closing: nothing more is parsed
                    heldLen = 0;
                    return -1;
                }
            }
        }
        return p;
    }

    private long inline(MemorySegment seg, long p, long end) {
        long nl = find(seg, p, end, (byte) '\n', MAX_INLINE);
        if (nl < 0) {
            if (end - p > MAX_INLINE) return fail("Protocol error: too big inline request");
            return INCOMPLETE;
        }
        long lineEnd = nl > p && seg.get(ValueLayout.JAVA_BYTE, nl - 1) == '\r' ? nl - 1 : nl;
        argc = 0;
        long i = p;
        while (true) {
            while (i < lineEnd && isSpace(seg.get(ValueLayout.JAVA_BYTE, i))) i++;
            if (i == lineEnd) break;
            byte q = seg.get(ValueLayout.JAVA_BYTE, i);
            long a, e;
            if (q == '"' || q == '\'') {
                a = i + 1;
                e = a;
                while (e < lineEnd && seg.get(ValueLayout.JAVA_BYTE, e) != q) e++;
                if (e == lineEnd || (e + 1 < lineEnd && !isSpace(seg.get(ValueLayout.JAVA_BYTE, e + 1)))) {
                    return fail("Protocol error: unbalanced quotes in request");
                }
                i = e + 1;
            } else {
                a = i;
                while (i < lineEnd && !isSpace(seg.get(ValueLayout.JAVA_BYTE, i))) i++;
                e = i;
            }
            arg(a, (int) (e - a));
        }
        return nl + 1;
    }

    private long multibulk(MemorySegment seg, long p, long end) {
        long eol = headerEnd(seg, p, end, "Protocol error: too big mbulk count string");
        if (eol < 0) return eol;
        long n = number(seg, p + 1, eol);
        if (n == Long.MIN_VALUE || n > MAX_ARGS) return fail("Protocol error: invalid multibulk length");
        long q = eol + 2;
        argc = 0;
        if (n <= 0) return q; // *0 and *-1: nothing to run, as Redis does
        for (long k = 0; k < n; k++) {
            if (q >= end) return incomplete(p, q + 4);
            byte b = seg.get(ValueLayout.JAVA_BYTE, q);
            if (b != '$') return fail("Protocol error: expected '$', got '" + printable(b) + "'");
            long bl = headerEnd(seg, q, end, "Protocol error: too big bulk count string");
            if (bl < 0) return bl == INCOMPLETE ? incomplete(p, end + 1) : bl;
            long len = number(seg, q + 1, bl);
            if (len < 0 || len > maxBulk) return fail("Protocol error: invalid bulk length");
            long data = bl + 2;
            if (data + len + 2 > end) return incomplete(p, data + len + 2);
            if (seg.get(ValueLayout.JAVA_BYTE, data + len) != '\r' || seg.get(ValueLayout.JAVA_BYTE, data + len + 1) != '\n') {
                return fail("Protocol error: expected '\\r\\n' after a bulk string of " + len + " bytes");
            }
            arg(data, (int) len);
            q = data + len + 2;
        }
        return q;
    }

    /** The command starting at p needs the buffer to reach at least {@code upTo}. */
    private long incomplete(long p, long upTo) {
        argc = 0;
        need = upTo - p;
        return INCOMPLETE;
    }

    /** The offset of the '\r' of "\r\n" ending the header at p, INCOMPLETE, or FAILED. */
    private long headerEnd(MemorySegment seg, long p, long end, String tooBig) {
        long cr = find(seg, p, end, (byte) '\r', MAX_INLINE);
        if (cr < 0) return end - p > MAX_INLINE ? fail(tooBig) : INCOMPLETE;
        if (cr + 1 >= end) return INCOMPLETE;
        if (seg.get(ValueLayout.JAVA_BYTE, cr + 1) != '\n') return fail("Protocol error: expected '\\r\\n' after a header");
        return cr;
    }

    private void arg(long off, int len) {
        if (argc == argOff.length) {
            argOff = java.util.Arrays.copyOf(argOff, argc * 2);
            argLen = java.util.Arrays.copyOf(argLen, argc * 2);
        }
        argOff[argc] = off;
        argLen[argc] = len;
        argc++;
    }

    private long fail(String message) {
        failed = true;
        heldLen = 0;
        argc = 0;
        sink.onProtocolError(message);
        return FAILED;
    }

    private static long find(MemorySegment seg, long p, long end, byte b, int max) {
        long stop = Math.min(end, p + max + 2);
        for (long i = p; i < stop; i++) if (seg.get(ValueLayout.JAVA_BYTE, i) == b) return i;
        return -1;
    }

    /** A decimal integer filling seg[p, end) (optional '-'), or Long.MIN_VALUE when it is not one or overflows. */
    static long number(MemorySegment seg, long p, long end) {
        if (p >= end) return Long.MIN_VALUE;
        boolean neg = seg.get(ValueLayout.JAVA_BYTE, p) == '-';
        if (neg && ++p == end) return Long.MIN_VALUE;
        if (end - p > 19) return Long.MIN_VALUE;
        long v = 0;
        for (long i = p; i < end; i++) {
            int d = seg.get(ValueLayout.JAVA_BYTE, i) - '0';
            if (d < 0 || d > 9 || v > (Long.MAX_VALUE - d) / 10) return Long.MIN_VALUE;
            v = v * 10 + d;
        }
        return neg ? -v : v;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
