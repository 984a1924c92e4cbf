package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.loop.LineHandler.Overlong;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.FdCount;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The framing handlers fed directly, read by read, on a real connection of a loop that is not
 * running (so each read boundary is exactly where the test puts it).
 */
@Timeout(60)
class FramingTest {
    private EventLoop loop;
    private int writeFd = -1; // never 0: closing it would close the test JVM's stdin
    private int fdsBefore;
    private final Arena arena = Arena.ofConfined();
    private final Recorder rec = new Recorder();
    /** The recorder whose {@code input} {@link #feed} sets. */
    private Recorder current = rec;

    /** Every callback, as text: "view:abc" / "copy:abc", "+" when not last; "end:de"; the close cause. */
    static final class Recorder implements FrameHandler {
        final List<String> events = new ArrayList<>();
        MemorySegment input;
        Throwable closeCause;
        boolean closed;
        boolean keepPartial; // take the partial frame at EOF instead of the default close

        @Override
        public void onFrame(Connection c, MemorySegment buf, long off, int len, boolean last) {
            events.add((buf == input ? "view:" : "copy:") + text(buf, off, len) + (last ? "" : "+"));
        }

        @Override
        public void onEndMidFrame(Connection c, MemorySegment buf, long off, int len) {
            events.add("end:" + text(buf, off, len));
            if (!keepPartial) FrameHandler.super.onEndMidFrame(c, buf, off, len);
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            closed = true;
            closeCause = cause;
        }
    }

    static String text(MemorySegment buf, long off, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, off, b, 0, len);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @BeforeEach
    void open() throws Exception {
        fdsBefore = FdCount.now();
        loop = EventLoop.open();
    }

    @AfterEach
    void close() throws Exception {
        loop.close();
        io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        arena.close();
        FdCount.assertBackTo(fdsBefore);
    }

    /** A connection of the loop (the read end of a pipe) served by {@code h}. */
    private Connection connect(Handler h) throws Exception {
        MemorySegment fds = arena.allocate(8);
        assertEquals(0, Unistd.pipe(Native.threadCallState(), fds));
        writeFd = fds.get(ValueLayout.JAVA_INT, 4);
        int readFd = fds.get(ValueLayout.JAVA_INT, 0);
        assertEquals(0, Unistd.setNonBlockingCloexec(Native.threadCallState(), readFd));
        return loop.register(readFd, Trigger.LEVEL, h);
    }

    /** Delivers each chunk as one read, in a fresh native buffer like the loop's. */
    private void feed(Handler h, Connection c, byte[]... reads) {
        for (byte[] r : reads) {
            MemorySegment buf = arena.allocate(Math.max(1, r.length));
            MemorySegment.copy(r, 0, buf, ValueLayout.JAVA_BYTE, 0, r.length);
            current.input = buf;
            h.onData(c, buf, r.length);
        }
    }

    private void feed(Handler h, Connection c, String... reads) {
        byte[][] b = new byte[reads.length][];
        for (int i = 0; i < reads.length; i++) b[i] = reads[i].getBytes(StandardCharsets.ISO_8859_1);
        feed(h, c, b);
    }

    private static byte[][] everyByte(byte[] in) {
        byte[][] out = new byte[in.length][];
        for (int i = 0; i < in.length; i++) out[i] = new byte[] {in[i]};
        return out;
    }

    // ---- lines -----------------------------------------------------------------------------------

    @Test
    void manyLinesInOneReadAreViewsOfTheReadBuffer() throws Exception {
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "a\nbb\r\n\nccc\n");
        assertEquals(List.of("view:a", "view:bb", "view:", "view:ccc"), rec.events);
        assertEquals(0, h.heldBytes());
        assertTrue(c.isOpen());
    }

    @Test
    void aLineSpanningReadsIsCopiedOnce() throws Exception {
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "he", "llo\nwor", "ld\r", "\nnext\n");
        assertEquals(List.of("copy:hello", "copy:world", "view:next"), rec.events);
    }

    @Test
    void aLineSplitAtEveryByteComesOutWhole() throws Exception {
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, everyByte("one\r\ntwo\n\nsixteen-bytes-ok\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(List.of("copy:one", "copy:two", "view:", "copy:sixteen-bytes-ok"), rec.events, "an empty line needs no copy");
    }

    @Test
    void anOverlongLineClosesWithAReasonInEveryPosition() throws Exception {
        String[][] cases = {{"abcde\n"}, {"abcdef"}, {"abc", "de"}, {"abc", "de\n"}, {"abcd\r\n"}};
        for (String[] reads : cases) {
            Recorder r = new Recorder();
            LineHandler h = LineHandler.of(4, Overlong.ERROR, r);
            Connection c = connect(h);
            current = r;
            feed(h, c, "ok\n");
            r.events.clear();
            feed(h, c, reads);
            assertFalse(c.isOpen(), String.join("|", reads));
            assertInstanceOf(ProtocolException.class, r.closeCause);
            assertEquals("line longer than 4 bytes", r.closeCause.getMessage());
            assertEquals(List.of(), r.events, "nothing of the long line is delivered: " + String.join("|", reads));
            io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        }
        writeFd = -1;
    }

    @Test
    void aLineOfExactlyTheLimitPasses() throws Exception {
        LineHandler h = LineHandler.of(4, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "abcd\nab", "cd", "\n");
        assertEquals(List.of("view:abcd", "copy:abcd"), rec.events);
        assertTrue(c.isOpen());
    }

    @Test
    void splitDeliversExplicitPieces() throws Exception {
        LineHandler h = LineHandler.of(4, Overlong.SPLIT, rec);
        Connection c = connect(h);
        feed(h, c, "abcdefghij\nabcdefgh\nxy", "z1234", "56\n");
        assertEquals(List.of("view:abcd+", "view:efgh+", "view:ij", "view:abcd+", "view:efgh",
                "copy:xyz1+", "copy:2345+", "view:6"), rec.events);
        feed(h, c, "abcd\r\n");
        assertEquals("view:", rec.events.getLast(), "a CR past the limit leaves an empty last piece");
        assertEquals("view:abcd+", rec.events.get(rec.events.size() - 2));
        assertTrue(h.heldBytes() == 0 && c.isOpen());
    }

    @Test
    void splitAtEveryByteGivesTheSamePieces() throws Exception {
        LineHandler h = LineHandler.of(4, Overlong.SPLIT, rec);
        Connection c = connect(h);
        feed(h, c, everyByte("abcdefghij\nabcd\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(List.of("copy:abcd+", "copy:efgh+", "copy:ij", "copy:abcd"), rec.events);
    }

    @Test
    void endOfStreamMidLineIsReportedWithItsBytes() throws Exception {
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "abc\nde");
        h.onInputClosed(c);
        assertEquals(List.of("view:abc", "end:de"), rec.events);
        assertFalse(c.isOpen());
        assertInstanceOf(EOFException.class, rec.closeCause);
        assertEquals("end of stream inside a frame: 2 bytes of it received", rec.closeCause.getMessage());
    }

    @Test
    void aHandlerMayTakeThePartialLineAndCloseCleanly() throws Exception {
        rec.keepPartial = true;
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "last words");
        h.onInputClosed(c);
        assertEquals(List.of("end:last words"), rec.events);
        assertTrue(rec.closed);
        assertNull(rec.closeCause, "the default onInputClosed flushes and closes in order");
    }

    @Test
    void endOfStreamAfterWholeLinesIsAnOrderlyClose() throws Exception {
        LineHandler h = LineHandler.of(16, Overlong.ERROR, rec);
        Connection c = connect(h);
        feed(h, c, "abc\n");
        h.onInputClosed(c);
        assertEquals(List.of("view:abc"), rec.events);
        assertTrue(rec.closed);
        assertNull(rec.closeCause);
    }

    @Test
    void aHandlerThatClosesStopsDelivery() throws Exception {
        List<String> got = new ArrayList<>();
        LineHandler h = LineHandler.of(16, Overlong.ERROR, (conn, buf, off, len, last) -> {
            got.add(text(buf, off, len));
            conn.close();
        });
        Connection c = connect(h);
        feed(h, c, "a\nb\nc\n");
        assertEquals(List.of("a"), got);
    }

    /** Random lines, random read boundaries: the same frames as the whole input, and nothing held past the limit. */
    @Test
    void randomChunkingNeverChangesTheLines() throws Exception {
        Random rnd = new Random(8);
        for (Overlong mode : Overlong.values()) {
            for (int round = 0; round < 200; round++) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                int lines = 1 + rnd.nextInt(8);
                for (int i = 0; i < lines; i++) {
                    int n = rnd.nextInt(mode == Overlong.SPLIT ? 40 : 12);
                    for (int k = 0; k < n; k++) in.write('a' + rnd.nextInt(3));
                    if (rnd.nextInt(4) == 0) in.write('\r');
                    in.write('\n');
                }
                byte[] all = in.toByteArray();
                List<String> whole = run(mode, new byte[][] {all});
                List<String> chunked = run(mode, chunks(all, rnd));
                assertEquals(strip(whole), strip(chunked), mode + " " + new String(all, StandardCharsets.US_ASCII));
            }
        }
    }

    private List<String> run(Overlong mode, byte[][] reads) throws Exception {
        Recorder r = new Recorder();
        LineHandler h = LineHandler.of(12, mode, r);
        Connection c = connect(h);
        for (byte[] read : reads) {
            if (!c.isOpen()) break;
            MemorySegment buf = arena.allocate(Math.max(1, read.length));
            MemorySegment.copy(read, 0, buf, ValueLayout.JAVA_BYTE, 0, read.length);
            h.onData(c, buf, read.length);
            assertTrue(h.heldBytes() <= 12);
        }
        if (c.isOpen()) h.onInputClosed(c);
        io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        writeFd = -1;
        List<String> out = new ArrayList<>(r.events);
        out.add("closed:" + (r.closeCause == null ? "" : r.closeCause.getMessage()));
        return out;
    }

    private static List<String> strip(List<String> events) {
        return events.stream().map(e -> e.replaceFirst("^(view|copy):", "")).toList();
    }

    private static byte[][] chunks(byte[] all, Random rnd) {
        List<byte[]> out = new ArrayList<>();
        for (int p = 0; p < all.length; ) {
            int n = Math.min(all.length - p, 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 30));
            out.add(java.util.Arrays.copyOfRange(all, p, p + n));
            p += n;
        }
        return out.toArray(new byte[0][]);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LineHandler.of(0, Overlong.SPLIT, rec));
        assertThrows(NullPointerException.class, () -> LineHandler.of(8, null, rec));
        assertThrows(IllegalArgumentException.class, () -> LengthPrefixedHandler.of(3, 100, rec));
        assertThrows(IllegalArgumentException.class, () -> LengthPrefixedHandler.of(2, -1, rec));
    }

    // ---- length-prefixed -------------------------------------------------------------------------

    private static byte[] frame(int fieldBytes, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[fieldBytes + p.length];
        for (int i = 0; i < fieldBytes; i++) out[i] = (byte) (p.length >>> (8 * (fieldBytes - 1 - i)));
        System.arraycopy(p, 0, out, fieldBytes, p.length);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    @Test
    void manyFramesInOneReadAreViews() throws Exception {
        for (int field : new int[] {1, 2, 4}) {
            Recorder r = new Recorder();
            LengthPrefixedHandler h = LengthPrefixedHandler.of(field, 300, r);
            Connection c = connect(h);
            String big = "z".repeat(258); // 0x0102: both bytes of a 2-byte field matter
            byte[] in = field == 1 ? concat(frame(1, ""), frame(1, "abc"), frame(1, "x"))
                    : concat(frame(field, ""), frame(field, "abc"), frame(field, big));
            r.input = null;
            MemorySegment buf = arena.allocate(in.length);
            MemorySegment.copy(in, 0, buf, ValueLayout.JAVA_BYTE, 0, in.length);
            r.input = buf;
            h.onData(c, buf, in.length);
            assertEquals(List.of("view:", "view:abc", "view:" + (field == 1 ? "x" : big)), r.events, "field " + field);
            assertEquals(0, h.heldBytes());
            h.onInputClosed(c);
            io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        }
        writeFd = -1;
    }

    @Test
    void framesSplitAtEveryByteIncludingTheLengthField() throws Exception {
        LengthPrefixedHandler h = LengthPrefixedHandler.of(4, 8, rec);
        Connection c = connect(h);
        feed(h, c, everyByte(concat(frame(4, "abc"), frame(4, ""), frame(4, "12345678"))));
        assertEquals(List.of("copy:abc", "copy:", "copy:12345678"), rec.events);
        assertEquals(0, h.heldBytes());
    }

    @Test
    void partialFramesAcrossReads() throws Exception {
        LengthPrefixedHandler h = LengthPrefixedHandler.of(2, 100, rec);
        Connection c = connect(h);
        byte[] in = concat(frame(2, "hello"), frame(2, "world"), frame(2, "!"));
        feed(h, c, java.util.Arrays.copyOfRange(in, 0, 4), java.util.Arrays.copyOfRange(in, 4, 8),
                java.util.Arrays.copyOfRange(in, 8, in.length));
        assertEquals(List.of("copy:hello", "copy:world", "view:!"), rec.events);
    }

    @Test
    void aLengthOverTheLimitClosesBeforeAnyPayload() throws Exception {
        byte[] max = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        String[][] expect = {{"frame of 9 bytes is over the limit of 8"}, {"frame of 4294967295 bytes is over the limit of 8"}};
        byte[][][] inputs = {{concat(frame(4, "12345678"), frame(4, "123456789"))}, everyByte(max)};
        for (int i = 0; i < inputs.length; i++) {
            Recorder r = new Recorder();
            LengthPrefixedHandler h = LengthPrefixedHandler.of(4, 8, r);
            Connection c = connect(h);
            for (byte[] read : inputs[i]) {
                if (!c.isOpen()) break;
                MemorySegment buf = arena.allocate(read.length);
                MemorySegment.copy(read, 0, buf, ValueLayout.JAVA_BYTE, 0, read.length);
                r.input = buf;
                h.onData(c, buf, read.length);
            }
            assertFalse(c.isOpen());
            assertInstanceOf(ProtocolException.class, r.closeCause);
            assertEquals(expect[i][0], r.closeCause.getMessage());
            assertEquals(i == 0 ? List.of("view:12345678") : List.of(), r.events);
            io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        }
        writeFd = -1;
    }

    @Test
    void randomChunkingNeverChangesTheFrames() throws Exception {
        Random rnd = new Random(9);
        for (int round = 0; round < 200; round++) {
            int field = new int[] {1, 2, 4}[round % 3];
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            List<String> want = new ArrayList<>();
            for (int i = 0, n = 1 + rnd.nextInt(6); i < n; i++) {
                String p = "f".repeat(rnd.nextInt(20)) + i;
                in.writeBytes(frame(field, p));
                want.add(p);
            }
            Recorder r = new Recorder();
            LengthPrefixedHandler h = LengthPrefixedHandler.of(field, 25, r);
            Connection c = connect(h);
            for (byte[] read : chunks(in.toByteArray(), rnd)) {
                MemorySegment buf = arena.allocate(read.length);
                MemorySegment.copy(read, 0, buf, ValueLayout.JAVA_BYTE, 0, read.length);
                h.onData(c, buf, read.length);
                assertTrue(h.heldBytes() <= field + 25);
            }
            assertEquals(want, strip(r.events));
            h.onInputClosed(c);
            assertNull(r.closeCause);
            io.github.ffmreactor.net.Fds.closeQuietly(writeFd);
        }
        writeFd = -1;
    }

    @Test
    void aOneByteFieldCarriesUpTo255() throws Exception {
        LengthPrefixedHandler h = LengthPrefixedHandler.of(1, 255, rec);
        Connection c = connect(h);
        String p = "q".repeat(255);
        feed(h, c, concat(frame(1, p), frame(1, "")));
        assertEquals(List.of("view:" + p, "view:"), rec.events);
    }

    @Test
    void endOfStreamInsideTheLengthFieldOrThePayload() throws Exception {
        LengthPrefixedHandler h = LengthPrefixedHandler.of(2, 100, rec);
        Connection c = connect(h);
        feed(h, c, concat(frame(2, "ok"), new byte[] {0}));
        h.onInputClosed(c);
        assertEquals(List.of("view:ok", "end:\0"), rec.events);
        assertInstanceOf(EOFException.class, rec.closeCause);
        io.github.ffmreactor.net.Fds.closeQuietly(writeFd);

        Recorder r = new Recorder();
        r.keepPartial = true;
        LengthPrefixedHandler h2 = LengthPrefixedHandler.of(2, 100, r);
        Connection c2 = connect(h2);
        byte[] f = frame(2, "hello");
        MemorySegment buf = arena.allocate(5);
        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, 5);
        h2.onData(c2, buf, 5);
        h2.onInputClosed(c2);
        assertEquals(List.of("end:\0\5hel"), r.events, "the raw bytes, length field included");
        assertNull(r.closeCause);
    }
}
