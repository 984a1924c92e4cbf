package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * RESP2 replies gathered in one native buffer per loop and written with one
 * {@link Connection#write} when the connection's read has been handled: a pipelined read of a
 * hundred commands costs one write(2), not a hundred. A reply that does not fit goes out in
 * pieces (the buffer is written when full; a long bulk value straight from its array).
 * Loop-thread only.
 */
final class RespWriter {
    static final int CAPACITY = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};

    private final MemorySegment buf = Arena.ofAuto().allocate(CAPACITY);
    private long pos;
    private Connection conn;

    /** Replies from now on are for {@code c}. */
    void begin(Connection c) {
        conn = c;
        pos = 0;
    }

    /** Writes what is gathered. False when the connection is closed (or was closed by the write). */
    boolean flush() {
        long n = pos;
        pos = 0;
        return n == 0 ? conn.isOpen() : conn.write(buf, 0, n);
    }

    private void room(long n) {
        if (pos + n > CAPACITY) flush();
    }

    private void put(byte b) {
        buf.set(ValueLayout.JAVA_BYTE, pos++, b);
    }

    private void put(byte[] a, int off, int len) {
        MemorySegment.copy(a, off, buf, ValueLayout.JAVA_BYTE, pos, len);
        pos += len;
    }

    private void putLong(long v) {
        if (v == Long.MIN_VALUE) {
            put(MIN, 0, MIN.length);
            return;
        }
        if (v < 0) {
            put((byte) '-');
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) digits++;
        long end = pos + digits;
        for (long i = end - 1; i >= pos; i--) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) ('0' + v % 10));
            v /= 10;
        }
        pos = end;
    }

    private static final byte[] MIN = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** A reply given whole, such as {@code +OK\r\n} (a short constant). */
    void raw(byte[] text) {
        room(text.length);
        put(text, 0, text.length);
    }

    void integer(long v) {
        room(24);
        put((byte) ':');
        putLong(v);
        put(CRLF, 0, 2);
    }

    void arrayHeader(long n) {
        room(24);
        put((byte) '*');
        putLong(n);
        put(CRLF, 0, 2);
    }

    private static final byte[] NIL = "$-1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    void nil() {
        raw(NIL);
    }

    void bulk(byte[] v) {
        room(24);
        put((byte) '$');
        putLong(v.length);
        put(CRLF, 0, 2);
        if (v.length + 2 > CAPACITY - pos) {
            flush();
            if (v.length > CAPACITY - 2) {
                conn.write(v); // staged through the loop's buffer in chunks; what the kernel leaves is queued
                raw(CRLF);
                return;
            }
        }
        put(v, 0, v.length);
        put(CRLF, 0, 2);
    }

    void bulk(MemorySegment seg, long off, int len) {
        room(24);
        put((byte) '$');
        putLong(len);
        put(CRLF, 0, 2);
        if (len + 2 > CAPACITY - pos) {
            flush();
            if (len > CAPACITY - 2) {
                conn.write(seg, off, len);
                raw(CRLF);
                return;
            }
        }
        MemorySegment.copy(seg, off, buf, pos, len);
        pos += len;
        put(CRLF, 0, 2);
    }

    /**
     * {@code -text\r\n}, with CR and LF in {@code text} turned into spaces (a reply is one line).
     * Error texts are short: what they quote of a request is cut at 128 bytes.
     */
    void error(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) if (b[i] == '\r' || b[i] == '\n') b[i] = ' ';
        if (b.length > CAPACITY - 3) throw new IllegalArgumentException("error text of " + b.length + " bytes");
        room(b.length + 3L);
        put((byte) '-');
        put(b, 0, b.length);
        put(CRLF, 0, 2);
    }
}
