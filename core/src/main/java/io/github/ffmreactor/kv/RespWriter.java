package io.github.ffmreactor.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Replies, RESP2 or RESP3 as the connection chose with HELLO, gathered in one native buffer per
 * loop and handed to the connection's {@link Outbox} when its read has been handled: a pipelined
 * read of a hundred commands costs one write(2), not a hundred. A value of
 * {@link #BY_REFERENCE} bytes or more is not copied: the outbox keeps a reference to the stored
 * array and sends it as the peer reads. Loop-thread only.
 */
final class RespWriter {
    static final int CAPACITY = 64 * 1024;
    /** Values this long or longer go out by reference to the stored bytes, never copied per reader. */
    static final int BY_REFERENCE = 16 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] NIL2 = b("$-1\r\n"), NULL_ARRAY2 = b("*-1\r\n"), NULL3 = b("_\r\n");
    private static final byte[] MIN = b(Long.toString(Long.MIN_VALUE));

    private final MemorySegment buf = Arena.ofAuto().allocate(CAPACITY);
    private long pos;
    private Outbox outbox;
    private boolean resp3;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Replies from now on are for {@code session}. */
    void begin(Session session) {
        outbox = session.outbox();
        resp3 = session.resp3();
        pos = 0;
    }

    /** The protocol changed mid-read (HELLO): later replies use it. */
    void protocol(boolean resp3) {
        this.resp3 = resp3;
    }

    boolean resp3() {
        return resp3;
    }

    /** Hands what is gathered to the outbox. False when the connection is closed (or was closed by it). */
    boolean flush() {
        long n = pos;
        pos = 0;
        return outbox.send(buf, n);
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

    private void header(byte type, long n) {
        room(24);
        put(type);
        putLong(n);
        put(CRLF, 0, 2);
    }

    /** A reply given whole, such as {@code +OK\r\n} (a short constant). */
    void raw(byte[] text) {
        room(text.length);
        put(text, 0, text.length);
    }

    void integer(long v) {
        header((byte) ':', v);
    }

    void arrayHeader(long n) {
        header((byte) '*', n);
    }

    /** A map of {@code n} pairs: RESP3's map, a flat array of 2n in RESP2. */
    void mapHeader(long n) {
        if (resp3) header((byte) '%', n);
        else header((byte) '*', 2 * n);
    }

    /** A missing value: {@code $-1} in RESP2, {@code _} in RESP3. */
    void nil() {
        raw(resp3 ? NULL3 : NIL2);
    }

    /** A missing array (EXEC of an aborted transaction): {@code *-1}, {@code _} in RESP3. */
    void nullArray() {
        raw(resp3 ? NULL3 : NULL_ARRAY2);
    }

    /** {@code +text}: a status line (no CR or LF in it). */
    void status(String text) {
        byte[] t = b(text);
        room(t.length + 3L);
        put((byte) '+');
        put(t, 0, t.length);
        put(CRLF, 0, 2);
    }

    void bulk(String s) {
        bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    void bulk(byte[] v) {
        header((byte) '$', v.length);
        body(v);
    }

    /** A stored value ({@link KvStore#value}): an array, or a {@link BigValue} sent by reference. Under the store's lock. */
    void bulk(Object v) {
        if (v instanceof byte[] b) {
            bulk(b);
            return;
        }
        BigValue g = (BigValue) v;
        header((byte) '$', g.length());
        flush();
        outbox.reference(g);
        raw(CRLF);
    }

    /** A bulk body and its CRLF: long ones by reference (the array must never change afterwards). */
    private void body(byte[] v) {
        if (v.length >= BY_REFERENCE) {
            flush();
            outbox.reference(v);
        } else {
            room(v.length);
            put(v, 0, v.length);
        }
        raw(CRLF);
    }

    void bulk(MemorySegment seg, long off, int len) {
        header((byte) '$', len);
        if (len + 2L > CAPACITY - pos) {
            flush();
            if (len > CAPACITY - 2) {
                byte[] copy = new byte[len]; // an echo of a long argument: rare, and its bytes die with the read
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, copy, 0, len);
                outbox.reference(copy);
                raw(CRLF);
                return;
            }
        }
        MemorySegment.copy(seg, off, buf, pos, len);
        pos += len;
        put(CRLF, 0, 2);
    }

    /** Text a client shows as is (INFO): RESP3's verbatim string {@code =len\r\ntxt:...}, a bulk string in RESP2. */
    void verbatim(String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        if (!resp3) {
            bulk(t);
            return;
        }
        header((byte) '=', t.length + 4L);
        raw(TXT);
        body(t);
    }

    private static final byte[] TXT = b("txt:");

    /**
     * {@code -text\r\n}, with CR and LF in {@code text} turned into spaces (a reply is one line).
     * Error texts are short: what they quote of a request is cut at 128 bytes.
     */
    void error(String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < t.length; i++) if (t[i] == '\r' || t[i] == '\n') t[i] = ' ';
        if (t.length > CAPACITY - 3) throw new IllegalArgumentException("error text of " + t.length + " bytes");
        room(t.length + 3L);
        put((byte) '-');
        put(t, 0, t.length);
        put(CRLF, 0, 2);
    }
}
