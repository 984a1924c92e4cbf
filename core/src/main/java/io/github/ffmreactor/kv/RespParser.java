package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * RESP requests as clients send them: multibulk arrays ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n})
 * and inline lines ({@code GET k\r\n}), any number per read, split anywhere across reads.
 *
 * <p>The parser resumes where it stopped: the arguments found so far, the position reached and
 * the bytes still needed are kept (as offsets from the command's start), so a command that
 * arrives one argument per read is scanned once in all, not again from its first byte on each
 * read. A whole command in the read buffer is handed over as views of it (no copy); the tail of a
 * read holding part of a command is kept in a per-connection heap buffer, which grows by doubling
 * while small, then by half again or straight to the size a bulk header announced, and is dropped
 * once a large command is done. An argument of {@link #STREAM_ARG} bytes or more that is not all
 * in yet is read into memory of its own, exactly its size, as its pieces arrive (Redis does the
 * same with a large bulk): nothing is copied twice, nothing moves when the command is whole, and
 * a command that stores it can keep that memory as the value ({@link BigValue}).
 * A malformed request ends the stream with one protocol error, in Redis's words; nothing after
 * it is parsed.
 */
final class RespParser {
    /** What receives the parsed commands. */
    interface Sink {
        /**
         * One command: {@code argc} arguments, argument i at {@code seg[off[i], off[i]+len[i])}, valid
         * during the call, except where {@code longArgs} (null when there is none) has an entry: that
         * argument is {@code longArgs[i].bytes} ({@code off[i]} is 0), which the parser lets go of
         * after the call ({@link BigValue#retain} to keep it). Returns false to stop parsing (the
         * connection is closing).
         */
        boolean onCommand(MemorySegment seg, long[] off, int[] len, int argc, BigValue[] longArgs);

        /** A malformed request: {@code message} is the error text without "-ERR ". Nothing follows. */
        void onProtocolError(String message);

        /** Whether the next command may run now; false holds it and all after it until {@link #resume}. */
        default boolean mayRun() {
            return true;
        }

        /**
         * Whether a command named {@code seg[off, off+len)} with {@code argc} arguments (asked only
         * when it has more than {@link #ASK_ARGS}) would run. When it would not (an unknown name, a
         * wrong arity), its reply quotes no more than its first arguments: the rest are parsed and
         * dropped as they arrive, and the command is handed over with its first {@link #KEEP_SKIPPED}.
         */
        default boolean runs(MemorySegment seg, long off, int len, long argc) {
            return true;
        }
    }

    /** Redis's limit on an inline line and on a '*' or '$' header line. */
    static final int MAX_INLINE = 64 * 1024;
    /** At most this many arguments in one multibulk command (Redis: 1024*1024 before authentication). */
    static final int MAX_ARGS = 1024 * 1024;
    /** Over this, the buffer a spanning command grew is dropped once it is empty. */
    static final int KEEP_HELD = 1 << 20;
    /** Argument arrays longer than this are dropped after the command that needed them. */
    static final int KEEP_ARGS = 1024;
    /** The held buffer doubles up to this, then grows by half (or to a size a header announced). */
    static final int DOUBLE_UP_TO = 1 << 20;
    /** An argument this long or longer that is not all in yet is read into its own memory. */
    static final int STREAM_ARG = BigValue.SIZE;
    /** A command announcing more arguments than this is checked by {@link Sink#runs} once its name is in. */
    static final int ASK_ARGS = 64;
    /** Arguments kept (the name included) of a command that will not run: enough for Redis's unknown-command text. */
    static final int KEEP_SKIPPED = 64;

    private static final int INCOMPLETE = -1, FAILED = -2;

    private final long maxBulk;
    private final long maxQuery;
    private final Sink sink;

    // The command in progress; every offset is relative to its first byte.
    private long[] argOff = new long[8];
    private int[] argLen = new int[8];
    private int argc;
    /** Arguments a multibulk header announced; -1 before the header is read (or inline). */
    private long expected = -1;
    /** Arguments parsed (argc, plus those dropped while skipping). */
    private long seen;
    /** The command will not run: arguments past the first KEEP_SKIPPED are parsed and dropped. */
    private boolean skipping;
    /** While skipping: where the kept arguments end; the bytes from here to pos are dropped. */
    private long keepEnd;
    /** Where parsing resumes: the end of the last whole header or argument. */
    private long pos;
    /** Where the search for a line end resumes (a line already scanned is not scanned again). */
    private long scan;
    /** The command cannot be whole before it has this many bytes. */
    private long need;
    /** The command is whole and waits for {@link Sink#mayRun}. */
    private boolean ready;
    private long readyEnd;

    private final LongArgs longArgs = new LongArgs();

    private byte[] held = new byte[0];
    private MemorySegment heldSeg = MemorySegment.ofArray(held);
    private int heldLen;
    private boolean failed;
    private boolean stalled;
    /** Bytes searched for a line end, plus bytes copied into or within the held buffer: the work per input byte. */
    private long examined;

    /**
     * @param maxBulk  the longest bulk string accepted ("invalid bulk length" above it)
     * @param maxQuery the most bytes held for one unfinished command (Redis's client-query-buffer-limit)
     */
    RespParser(long maxBulk, long maxQuery, Sink sink) {
        this.maxBulk = maxBulk;
        this.maxQuery = maxQuery;
        this.sink = sink;
    }

    /** Bytes held for an unfinished command, the memory taken for its long arguments included. */
    long heldBytes() {
        return heldLen + longArgs.taken();
    }

    /** Memory of the long argument being read, 0 when none (for tests). */
    long streamingCapacity() {
        return longArgs.arrivingCapacity();
    }

    /** The connection is gone: the memory of long arguments is let go of. */
    void close() {
        failed = true;
        heldLen = 0;
        longArgs.drop();
    }

    /** The capacity of the buffer for spanning commands (for tests). */
    int heldCapacity() {
        return held.length;
    }

    /** The capacity of the argument arrays (for tests). */
    int argCapacity() {
        return argOff.length;
    }

    boolean failed() {
        return failed;
    }

    /** Bytes searched or copied so far (for tests: bounded by a constant times the input). */
    long examined() {
        return examined;
    }

    /** Whether whole commands wait, held, for {@link #resume} (the sink said they may not run). */
    boolean stalled() {
        return stalled;
    }

    /** Runs the held commands the sink stalled, as far as it lets them run. */
    void resume() {
        if (failed || heldLen == 0 || longArgs.arriving()) return;
        stalled = false;
        parseHeld();
    }

    /** Parses {@code buf[off, off+len)}, handing each whole command to the sink. */
    void feed(MemorySegment buf, long off, int len) {
        if (failed || len == 0) return;
        if (longArgs.arriving()) {
            int n = stream(buf, off, len);
            if (n < 0 || longArgs.arriving()) return;
            // The long argument is in: its command goes on in the held buffer (its start), and
            // whatever followed the argument in this read is appended there.
            if (n < len && !hold(buf, off + n, len - n)) return;
            parseHeld();
            return;
        }
        if (heldLen == 0) {
            long used = parse(buf, off, off + len);
            if (used < 0 || used >= off + len) return;
            if (longArgs.arriving()) { // a long argument began: the rest of this read went into its memory
                hold(buf, used, (int) pos);
                return;
            }
            long dropped = droppable();
            if (dropped > 0 && hold(buf, used, (int) keepEnd)) {
                rebase(dropped);
                hold(buf, used + keepEnd + dropped, (int) (off + len - used - keepEnd - dropped));
            } else if (dropped == 0) {
                hold(buf, used, (int) (off + len - used));
            }
            return;
        }
        if (!hold(buf, off, len) || stalled || heldLen < need) return;
        parseHeld();
    }

    private void parseHeld() {
        long used = parse(heldSeg, 0, heldLen);
        if (used < 0) return;
        // A long argument that began in this parse took the bytes after its header.
        int rest = longArgs.arriving() ? (int) pos : heldLen - (int) used;
        if (rest > 0 && used > 0) {
            System.arraycopy(held, (int) used, held, 0, rest);
            examined += rest;
        }
        heldLen = rest;
        long dropped = droppable();
        if (dropped > 0) {
            int from = (int) (keepEnd + dropped);
            System.arraycopy(held, from, held, (int) keepEnd, heldLen - from);
            examined += heldLen - from;
            heldLen -= (int) dropped;
            rebase(dropped);
        }
        if (heldLen == 0 && held.length > KEEP_HELD) {
            held = new byte[0];
            heldSeg = MemorySegment.ofArray(held);
        }
    }

    /** While skipping, with the command unfinished: the bytes of dropped arguments before pos. */
    private long droppable() {
        return skipping && !ready && pos > keepEnd ? pos - keepEnd : 0;
    }

    /** The command's bytes [keepEnd, keepEnd + d) were dropped: later offsets move down. */
    private void rebase(long d) {
        pos -= d;
        scan -= d;
        need = Math.max(0, need - d);
    }

    private boolean hold(MemorySegment buf, long off, int n) {
        long want = (long) heldLen + n;
        if (want + longArgs.taken() > maxQuery) {
            fail("Protocol error: unfinished command over the query buffer limit of " + maxQuery + " bytes");
            return false;
        }
        if (want > held.length) {
            long cap = want <= DOUBLE_UP_TO ? Math.max(256, Long.highestOneBit(want - 1) << 1)
                    : Math.max(want, need > held.length ? need : held.length + (held.length >> 1));
            cap = Math.min(Math.min(maxQuery, Integer.MAX_VALUE - 16), Math.max(cap, want));
            held = Arrays.copyOf(held, (int) cap);
            heldSeg = MemorySegment.ofArray(held);
            examined += heldLen;
        }
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, off, held, heldLen, n);
        examined += n;
        heldLen = (int) want;
        return true;
    }

    /** Whole commands from seg[start, end): the offset of the first byte not consumed, or -1 when parsing stopped for good. */
    private long parse(MemorySegment seg, long start, long end) {
        while (start < end) {
            if (!ready) {
                long r = seg.get(ValueLayout.JAVA_BYTE, start) == '*' || expected >= 0
                        ? multibulk(seg, start, end) : inline(seg, start, end);
                if (r == FAILED) return -1;
                if (r == INCOMPLETE) return start;
                ready = true;
                readyEnd = r;
            }
            if (argc > 0 && !sink.mayRun()) {
                stalled = true;
                return start;
            }
            int n = argc;
            long next = start + readyEnd;
            BigValue[] longs = longArgs.forCommand(n, argOff.length);
            if (longs == null) {
                for (int i = 0; i < n; i++) argOff[i] += start;
            } else {
                for (int i = 0; i < n; i++) if (longs[i] == null) argOff[i] += start; // a long one is at 0 in its own memory
            }
            reset();
            boolean more = n == 0 || sink.onCommand(seg, argOff, argLen, n, longs);
            if (longs != null) longArgs.drop();
            if (!more) {
                failed = true; // closing: nothing more is parsed
                heldLen = 0;
                return -1;
            }
            if (argOff.length > KEEP_ARGS) {
                argOff = new long[8];
                argLen = new int[8];
            }
            start = next;
        }
        return start;
    }

    private void reset() {
        argc = 0;
        seen = 0;
        skipping = false;
        keepEnd = 0;
        expected = -1;
        pos = scan = need = 0;
        ready = false;
    }

    private long inline(MemorySegment seg, long base, long end) {
        long nl = find(seg, base + scan, end, (byte) '\n');
        if (nl < 0) {
            scan = end - base;
            if (scan > MAX_INLINE) return fail("Protocol error: too big inline request");
            return INCOMPLETE;
        }
        if (nl - base > MAX_INLINE + 1) return fail("Protocol error: too big inline request");
        long lineEnd = nl > base && seg.get(ValueLayout.JAVA_BYTE, nl - 1) == '\r' ? nl - 1 : nl;
        long i = base;
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
            arg(a - base, (int) (e - a));
        }
        return nl + 1 - base;
    }

    /** Continues the multibulk command starting at {@code base} from {@link #pos}. */
    private long multibulk(MemorySegment seg, long base, long end) {
        if (expected < 0) {
            long eol = scan == pos ? quickHeader(seg, base + 1, end) : -1;
            long n = scratch[0];
            if (eol < 0) {
                eol = header(seg, base, end, "Protocol error: too big mbulk count string");
                if (eol < 0) return eol;
                n = number(seg, base + 1, eol);
            }
            if (n == Long.MIN_VALUE || n > MAX_ARGS) return fail("Protocol error: invalid multibulk length");
            expected = Math.max(n, 0); // *0 and *-1: nothing to run, as Redis does
            pos = eol + 2 - base;
            scan = pos;
        }
        while (seen < expected) {
            long q = base + pos;
            if (q >= end) return incomplete(pos + 4);
            byte b = seg.get(ValueLayout.JAVA_BYTE, q);
            if (b != '$') return fail("Protocol error: expected '$', got '" + printable(b) + "'");
            long bl = scan == pos ? quickHeader(seg, q + 1, end) : -1;
            long len = scratch[0];
            if (bl < 0) {
                bl = header(seg, q, end, "Protocol error: too big bulk count string");
                if (bl < 0) return bl == INCOMPLETE ? incomplete(end - base + 1) : bl;
                len = number(seg, q + 1, bl);
            }
            if (len < 0 || len > maxBulk) return fail("Protocol error: invalid bulk length");
            long data = bl + 2;
            if (data + len + 2 > end) return incompleteArgument(seg, base, data, end, len);
            if (seg.get(ValueLayout.JAVA_BYTE, data + len) != '\r' || seg.get(ValueLayout.JAVA_BYTE, data + len + 1) != '\n') {
                return fail("Protocol error: expected '\\r\\n' after a bulk string of " + len + " bytes");
            }
            pos = data + len + 2 - base;
            scan = pos;
            if (!skipping) {
                arg(data - base, (int) len);
            } else if (argc < KEEP_SKIPPED) {
                arg(data - base, (int) len);
                keepEnd = pos;
            }
            seen++;
            if (seen == 1 && expected > ASK_ARGS && !sink.runs(seg, data, (int) len, expected)) {
                skipping = true;
                keepEnd = pos;
            }
        }
        return pos;
    }

    /** An argument whose data from {@code data} on is not all in {@code seg[.., end)}: wait for it, or read a long one into memory of its own. */
    private long incompleteArgument(MemorySegment seg, long base, long data, long end, long len) {
        return len >= STREAM_ARG && !skipping ? startStream(seg, base, data, end, len) : incomplete(data + len + 2 - base);
    }

    /**
     * A long argument whose bytes from {@code data} on are not all in {@code seg[.., end)}: its
     * memory is taken now (its announced size, as the held buffer grew to it before) and what is
     * here of it goes there; the command's start, up to the argument's data, stays to be held.
     */
    private long startStream(MemorySegment seg, long base, long data, long end, long len) {
        long before = data - base;
        if (before + longArgs.taken() + len + 2 > maxQuery) {
            return fail("Protocol error: unfinished command over the query buffer limit of " + maxQuery + " bytes");
        }
        longArgs.start(len, seg, data, end);
        examined += end - data;
        pos = scan = need = before;
        return INCOMPLETE;
    }

    /**
     * Bytes of the long argument being read, from {@code buf[off, off+len)}: how many were its
     * (the argument's end, its CRLF included, at most), or -1 when it did not end with CRLF.
     */
    private int stream(MemorySegment buf, long off, int len) {
        int n = longArgs.take(buf, off, len);
        examined += n;
        if (!longArgs.complete()) return n;
        int size = (int) (longArgs.arrivingCapacity() - 2);
        if (!longArgs.endsWithCrlf()) {
            fail("Protocol error: expected '\\r\\n' after a bulk string of " + size + " bytes");
            return -1;
        }
        arg(0, size); // at 0 of its own memory
        BigValue v = longArgs.place(argc - 1, argOff.length);
        seen++;
        if (seen == 1 && expected > ASK_ARGS && !sink.runs(v.bytes, 0, v.length(), expected)) {
            skipping = true;
            keepEnd = pos;
        }
        return n;
    }

    /**
     * The usual header, {@code 1} to 18 digits and CRLF all in {@code seg}, read in one pass: the
     * offset of its '\r' (the value in {@code scratch[0]}), or -1 for the general path (a sign, an
     * error, a line not all here). Measured: searching for the '\r' and then parsing the digits was
     * a fifth of kv's own CPU under pipelined GETs. Tried only on a header not yet scanned
     * ({@code scan == pos}), so a header trickled in is still looked at a bounded number of times.
     */
    private long quickHeader(MemorySegment seg, long p, long end) {
        long stop = Math.min(end, p + 18), i = p, v = 0;
        for (byte d; i < stop && (d = seg.get(ValueLayout.JAVA_BYTE, i)) >= '0' && d <= '9'; i++) v = v * 10 + (d - '0');
        examined += i - p + 1;
        if (i == p || i + 1 >= end || seg.get(ValueLayout.JAVA_BYTE, i) != '\r' || seg.get(ValueLayout.JAVA_BYTE, i + 1) != '\n') return -1;
        scratch[0] = v;
        return i;
    }

    /** The command needs at least {@code upTo} bytes from its start. */
    private long incomplete(long upTo) {
        need = upTo;
        return INCOMPLETE;
    }

    /**
     * The offset of the '\r' of "\r\n" ending the header line at p, INCOMPLETE, or FAILED. The
     * search resumes at {@link #scan}, so a header trickled in byte by byte is scanned once.
     */
    private long header(MemorySegment seg, long p, long end, String tooBig) {
        long base = p - pos; // the command's start: scan is relative to it
        long from = Math.max(p, base + scan);
        long cr = find(seg, from, Math.min(end, p + MAX_INLINE + 2), (byte) '\r');
        if (cr < 0) {
            if (end - p > MAX_INLINE) return fail(tooBig);
            scan = end - base;
            return INCOMPLETE;
        }
        if (cr + 1 >= end) {
            scan = cr - base;
            return INCOMPLETE;
        }
        if (seg.get(ValueLayout.JAVA_BYTE, cr + 1) != '\n') return fail("Protocol error: expected '\\r\\n' after a header");
        return cr;
    }

    private void arg(long off, int len) {
        if (argc == argOff.length) {
            argOff = Arrays.copyOf(argOff, argc * 2);
            argLen = Arrays.copyOf(argLen, argc * 2);
        }
        argOff[argc] = off;
        argLen[argc] = len;
        argc++;
    }

    private long fail(String message) {
        failed = true;
        heldLen = 0;
        longArgs.drop();
        reset();
        sink.onProtocolError(message);
        return FAILED;
    }

    private long find(MemorySegment seg, long p, long end, byte b) {
        long i = p;
        while (i < end && seg.get(ValueLayout.JAVA_BYTE, i) != b) i++;
        examined += i - p;
        return i < end ? i : -1;
    }

    /** A header's decimal length filling seg[p, end) (optional '-'), or Long.MIN_VALUE when it is not one. */
    long number(MemorySegment seg, long p, long end) {
        return Numbers.parse(seg, p, end, false, scratch) ? scratch[0] : Long.MIN_VALUE;
    }

    private final long[] scratch = new long[1];

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
