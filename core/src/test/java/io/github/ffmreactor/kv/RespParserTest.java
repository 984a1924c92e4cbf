package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The RESP request parser alone: whole, pipelined and split requests, and every malformed one. */
@Timeout(30)
class RespParserTest {
    /** Records commands as "a b c" strings and the protocol error, if any. */
    static class Recorder implements RespParser.Sink {
        final List<String> commands = new ArrayList<>();
        String error;
        int stopAfter = Integer.MAX_VALUE;
        /** Arguments handed over in memory of their own. */
        int longs;
        /** Those arguments' memory, to check it is let go of. */
        final List<BigValue> longValues = new ArrayList<>();
        /** Keep (retain) the long arguments, as a command that stores one does. */
        boolean keepLongs;

        @Override
        public boolean onCommand(MemorySegment seg, long[] off, int[] len, int argc, BigValue[] longArgs) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < argc; i++) {
                if (i > 0) b.append(' ');
                MemorySegment in = longArgs != null && longArgs[i] != null ? longArgs[i].bytes : seg;
                if (in != seg) {
                    longs++;
                    longValues.add(keepLongs ? longArgs[i].retain() : longArgs[i]);
                }
                b.append(new String(in.asSlice(off[i], len[i]).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1));
            }
            commands.add(b.toString());
            return commands.size() < stopAfter;
        }

        @Override
        public void onProtocolError(String message) {
            if (error != null) throw new AssertionError("second protocol error: " + message + " after " + error);
            error = message;
        }
    }

    private static final Arena ARENA = Arena.ofAuto();

    /** Feeds {@code text} in pieces cut at {@code cuts}, each piece in a fresh native buffer (as reads come). */
    static Recorder feed(RespParser p, Recorder r, String text, int... cuts) {
        byte[] all = text.getBytes(StandardCharsets.ISO_8859_1);
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : all.length;
            MemorySegment buf = ARENA.allocate(Math.max(1, to - from) + 16);
            // Not at offset 0: the parser must honour the offset it is given.
            MemorySegment.copy(all, from, buf, ValueLayout.JAVA_BYTE, 7, to - from);
            p.feed(buf, 7, to - from);
            from = to;
        }
        return r;
    }

    static Recorder parse(String text, int... cuts) {
        Recorder r = new Recorder();
        return feed(new RespParser(512L << 20, 1L << 30, r), r, text, cuts);
    }

    static final String PIPELINE = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"
            + "PING\r\n"
            + "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
            + "*0\r\n*-1\r\n\r\n\n"
            + "  get   'a b'  \"c\"\tx\n"
            + "*1\r\n$0\r\n\r\n";
    static final List<String> PIPELINE_COMMANDS = List.of("SET key va\r\nl", "PING", "GET key", "get a b c x", "");

    @Test
    void pipelinedCommandsInOneRead() {
        Recorder r = parse(PIPELINE);
        assertEquals(PIPELINE_COMMANDS, r.commands);
        assertEquals(null, r.error);
    }

    @Test
    void everySplitOfThePipelineGivesTheSameCommands() {
        for (int cut = 1; cut < PIPELINE.length(); cut++) {
            Recorder r = parse(PIPELINE, cut);
            assertEquals(PIPELINE_COMMANDS, r.commands, "cut at " + cut);
            assertEquals(null, r.error, "cut at " + cut);
        }
    }

    @Test
    void oneByteAtATime() {
        int[] cuts = new int[PIPELINE.length() - 1];
        for (int i = 0; i < cuts.length; i++) cuts[i] = i + 1;
        Recorder r = parse(PIPELINE, cuts);
        assertEquals(PIPELINE_COMMANDS, r.commands);
    }

    @Test
    void everyPairOfSplitsOfOneCommand() {
        String cmd = "*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$2\r\nvv\r\n";
        for (int a = 1; a < cmd.length(); a++) {
            for (int b = a; b < cmd.length(); b++) {
                Recorder r = parse(cmd + cmd, a, b + cmd.length() / 2);
                assertEquals(List.of("SET 0123456789 vv", "SET 0123456789 vv"), r.commands, a + "," + b);
            }
        }
    }

    @Test
    void nothingIsHeldOnceACommandCompletes() {
        Recorder r = new Recorder();
        RespParser p = new RespParser(1024, 1 << 20, r);
        feed(p, r, "*1\r\n$4\r\nPI");
        assertEquals(List.of(), r.commands);
        assertTrue(p.heldBytes() > 0);
        feed(p, r, "NG\r\n*1\r\n$4\r\nPING\r\n");
        assertEquals(List.of("PING", "PING"), r.commands);
        assertEquals(0, p.heldBytes());
    }

    @Test
    void aLargeBulkInManyPieces() {
        String big = "x".repeat(300_000);
        String cmd = "*2\r\n$4\r\nECHO\r\n$300000\r\n" + big + "\r\nPING\r\n";
        int[] cuts = new int[40];
        for (int i = 0; i < cuts.length; i++) cuts[i] = 10 + i * 7_500;
        Recorder r = parse(cmd, cuts);
        assertEquals(List.of("ECHO " + big, "PING"), r.commands);
    }

    @Test
    void theBufferOfALargeSpanningCommandIsDroppedAfterIt() {
        Recorder r = new Recorder();
        RespParser p = new RespParser(8 << 20, 16 << 20, r);
        // Eight arguments of 200,000 bytes: each under STREAM_ARG, so the command is held whole.
        String z = "z".repeat(200_000);
        String big = "*9\r\n$4\r\nECHO\r\n" + ("$200000\r\n" + z + "\r\n").repeat(8);
        feed(p, r, big + "*1\r\n$4\r\nPI", 1000);
        assertEquals(1, r.commands.size());
        assertEquals(0, r.longs);
        assertTrue(p.heldCapacity() > RespParser.KEEP_HELD, "still holding the start of the next command");
        feed(p, r, "NG\r\n");
        assertEquals(List.of("ECHO" + (" " + z).repeat(8), "PING"), r.commands);
        assertEquals(0, p.heldCapacity());
        // A small spanning command keeps its small buffer for the next one.
        feed(p, r, "PI");
        feed(p, r, "NG\r\n");
        assertEquals(256, p.heldCapacity());
    }

    @Test
    void parsingStopsWhenTheSinkSaysSo() {
        Recorder r = new Recorder();
        r.stopAfter = 1;
        RespParser p = new RespParser(1024, 1 << 20, r);
        feed(p, r, "QUIT\r\nPING\r\n");
        feed(p, r, "PING\r\n");
        assertEquals(List.of("QUIT"), r.commands);
        assertTrue(p.failed());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "*x\\r\\n                        | Protocol error: invalid multibulk length",
        "*\\r\\n                         | Protocol error: invalid multibulk length",
        "*1x\\r\\n                       | Protocol error: invalid multibulk length",
        "*99999999999999999999\\r\\n     | Protocol error: invalid multibulk length",
        "*1048577\\r\\n                  | Protocol error: invalid multibulk length",
        "*1\\r\\nx4\\r\\n                | Protocol error: expected '$', got 'x'",
        "*1\\r\\n\\u0001\\r\\n           | Protocol error: expected '$', got '\\x01'",
        "*1\\r\\n$x\\r\\n                | Protocol error: invalid bulk length",
        "*1\\r\\n$\\r\\n                 | Protocol error: invalid bulk length",
        "*1\\r\\n$-1\\r\\n               | Protocol error: invalid bulk length",
        "*1\\r\\n$1025\\r\\n             | Protocol error: invalid bulk length",
        "*1\\r\\n$4\\r\\nPINGxx          | Protocol error: expected '\\r\\n' after a bulk string of 4 bytes",
        "*1\\r\\n$4\\r\\nPING\\rx        | Protocol error: expected '\\r\\n' after a bulk string of 4 bytes",
        "*1\\rx                          | Protocol error: expected '\\r\\n' after a header",
        "*1\\r\\n$4\\rx                  | Protocol error: expected '\\r\\n' after a header",
        "PING \"a\\r\\n                  | Protocol error: unbalanced quotes in request",
        "PING 'a'b\\r\\n                 | Protocol error: unbalanced quotes in request",
    })
    void malformed(String escaped, String message) {
        String text = escaped.strip().replace("\\r", "\r").replace("\\n", "\n").replace("\\u0001", "\u0001");
        for (int cut = 0; cut < text.length(); cut++) {
            Recorder r = new Recorder();
            RespParser p = new RespParser(1024, 1 << 20, r);
            feed(p, r, "PING\r\n" + text + "PING\r\n", cut == 0 ? new int[0] : new int[] {6 + cut});
            assertEquals(message, r.error, "cut at " + cut);
            assertEquals(List.of("PING"), r.commands, "nothing after the error, cut at " + cut);
            assertTrue(p.failed());
            assertEquals(0, p.heldBytes());
            feed(p, r, "PING\r\n");
            assertEquals(List.of("PING"), r.commands, "nothing is parsed after a protocol error");
        }
    }

    @Test
    void headersAndInlineLinesHaveALimit() {
        String[][] cases = {
            {"PING " + "a".repeat(RespParser.MAX_INLINE + 10), "Protocol error: too big inline request"},
            {"*" + "1".repeat(RespParser.MAX_INLINE + 10), "Protocol error: too big mbulk count string"},
            {"*1\r\n$" + "1".repeat(RespParser.MAX_INLINE + 10), "Protocol error: too big bulk count string"},
        };
        for (String[] c : cases) {
            Recorder r = parse(c[0], 1000, 40_000);
            assertEquals(c[1], r.error);
            Recorder whole = parse(c[0]);
            assertEquals(c[1], whole.error);
        }
        // Just under the limit, still waiting for its end: no error.
        Recorder r = parse("PING " + "a".repeat(RespParser.MAX_INLINE - 10));
        assertEquals(null, r.error);
    }

    @Test
    void anUnfinishedCommandOverTheQueryLimitIsAnError() {
        Recorder r = new Recorder();
        RespParser p = new RespParser(1000, 4096, r);
        String part = "*10\r\n" + "$1000\r\n" + "v".repeat(1000) + "\r\n";
        feed(p, r, part + part.substring(5).repeat(2));
        assertEquals(null, r.error);
        feed(p, r, part.substring(5).repeat(2));
        assertEquals("Protocol error: unfinished command over the query buffer limit of 4096 bytes", r.error);
        assertEquals(0, p.heldBytes());
    }

    @Test
    void numbersAsRedisReadsThem() {
        long[] out = new long[1];
        String[][] good = {{"12", "12"}, {"-7", "-7"}, {"0", "0"}, {"9223372036854775807", "9223372036854775807"},
            {"-9223372036854775808", "-9223372036854775808"}};
        for (String[] g : good) {
            MemorySegment s = MemorySegment.ofArray(g[0].getBytes(StandardCharsets.US_ASCII));
            assertTrue(Numbers.parse(s, 0, s.byteSize(), true, out), g[0]);
            assertEquals(Long.parseLong(g[1]), out[0]);
        }
        for (String bad : new String[] {"", "-", "1x", "012", "-0", "+1", " 1", "1 ", "1.5", "9223372036854775808",
            "-9223372036854775809", "99999999999999999999"}) {
            MemorySegment s = MemorySegment.ofArray(bad.getBytes(StandardCharsets.US_ASCII));
            assertTrue(!Numbers.parse(s, 0, s.byteSize(), true, out), "'" + bad + "'");
        }
        MemorySegment z = MemorySegment.ofArray("007".getBytes(StandardCharsets.US_ASCII));
        assertTrue(Numbers.parse(z, 0, 3, false, out), "a header may have leading zeros");
        assertEquals(7, out[0]);
    }

    /**
     * The trickle attack: a 40,000-argument command, one argument per read. The parser resumes
     * where it stopped, so the bytes it searches or copies stay a small multiple of the input
     * (re-parsing from the command's start on every read would be ~40,000 times more).
     */
    @Test
    void aCommandTrickledInOneArgumentPerReadIsScannedOnce() {
        Recorder r = new Recorder();
        RespParser p = new RespParser(1 << 20, 1L << 30, r);
        int n = 40_000;
        feed(p, r, "*" + (n + 1) + "\r\n$4\r\nMGET\r\n");
        long total = 0;
        for (int i = 0; i < n; i++) {
            String arg = "$1\r\nx\r\n";
            feed(p, r, arg);
            total += arg.length();
        }
        assertEquals(1, r.commands.size());
        assertEquals(n + 1, r.commands.get(0).split(" ").length);
        assertTrue(p.examined() < 4 * total, "examined " + p.examined() + " bytes for " + total);
        assertEquals(8, p.argCapacity(), "the argument arrays shrank back after the large command");
        assertTrue(p.heldCapacity() <= RespParser.KEEP_HELD, "held buffer " + p.heldCapacity());
    }

    /** The same for a long inline line, and for a pipeline, that arrive a byte at a time. */
    @Test
    void linesTrickledAByteAtATimeAreScannedOnce() {
        for (String text : new String[] {"PING " + "a".repeat(60_000) + "\r\n", "*1\r\n$4\r\nPING\r\n".repeat(2000)}) {
            Recorder r = new Recorder();
            RespParser p = new RespParser(1 << 20, 1L << 30, r);
            for (int i = 0; i < text.length(); i++) feed(p, r, text.substring(i, i + 1));
            assertEquals(null, r.error);
            assertEquals(text.startsWith("PING") ? 1 : 2000, r.commands.size());
            assertTrue(p.examined() < 4L * text.length(), "examined " + p.examined() + " bytes for " + text.length());
        }
    }

    /**
     * A 3 MB value in 64 KiB reads goes into memory of its own, exactly its size (and its CRLF), as
     * it arrives: the held buffer keeps only the command's start, each byte is copied once, and the
     * memory is let go of after the command (kept while the sink holds it, as the store does).
     */
    @Test
    void aLongArgumentIsReadIntoItsOwnMemory() {
        for (boolean keep : new boolean[] {false, true}) {
            Recorder r = new Recorder();
            r.keepLongs = keep;
            RespParser p = new RespParser(1 << 30, 1L << 30, r);
            int size = 3_000_000;
            String text = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + size + "\r\n" + "z".repeat(size) + "\r\n*1\r\n$4\r\nPING\r\n";
            int piece = 64 * 1024, maxHeld = 0;
            long memory = 0;
            for (int at = 0; at < text.length(); at += piece) {
                feed(p, r, text.substring(at, Math.min(text.length(), at + piece)));
                maxHeld = Math.max(maxHeld, p.heldCapacity());
                if (r.commands.isEmpty()) memory = Math.max(memory, p.streamingCapacity());
            }
            assertEquals(List.of("SET k " + "z".repeat(size), "PING"), r.commands);
            assertEquals(1, r.longs);
            assertEquals(size + 2, memory, "the argument's memory is its size and its CRLF");
            assertTrue(maxHeld <= 256, "the held buffer reached " + maxHeld + " bytes");
            assertTrue(p.examined() < 2L * text.length(), "examined " + p.examined());
            assertEquals(0, p.heldBytes());
            BigValue v = r.longValues.get(0);
            assertEquals(!keep, v.freed(), "let go of after the command unless the sink kept it");
            if (keep) {
                assertEquals(size, v.length());
                v.run();
                assertTrue(v.freed());
            }
        }
    }

    /**
     * A long argument split at every kind of place (in its header, right after it, in its data, in
     * its CRLF, with the next command in the same read), first or not, several in one command:
     * the same commands, and every argument's memory let go of.
     */
    @Test
    void longArgumentsSplitAnywhere() {
        int n = RespParser.STREAM_ARG + 10;
        String a = "a".repeat(n - 3) + "\r\nb", b = "b".repeat(n + 1000);
        String text = "PING\r\n*4\r\n$4\r\nMSET\r\n$" + n + "\r\n" + a + "\r\n$1\r\nk\r\n$" + b.length() + "\r\n" + b
                + "\r\n*1\r\n$4\r\nPING\r\n";
        int first = text.indexOf(a), second = text.indexOf(b);
        int[] places = {first - 5, first - 2, first, first + 1, first + n - 1, first + n, first + n + 1, first + n + 2,
            second - 1, second + 7, second + b.length() + 1, second + b.length() + 3, text.length() - 3};
        List<String> want = List.of("PING", "MSET " + a + " k " + b, "PING");
        for (int x : places) {
            for (int y : places) {
                if (y <= x) continue;
                Recorder r = new Recorder();
                RespParser p = new RespParser(1 << 20, 1L << 30, r);
                feed(p, r, text, x, y);
                assertEquals(null, r.error, x + "," + y);
                assertEquals(want, r.commands, x + "," + y);
                assertEquals(0, p.heldBytes());
                for (BigValue v : r.longValues) assertTrue(v.freed(), x + "," + y);
            }
        }
    }

    /** A long argument early in a command of many arguments: every argument is handed over where it is. */
    @Test
    void aLongArgumentBeforeManyOthers() {
        String big = "v".repeat(RespParser.STREAM_ARG);
        StringBuilder text = new StringBuilder("*2003\r\n$4\r\nMSET\r\n$1\r\nk\r\n$" + big.length() + "\r\n" + big + "\r\n");
        StringBuilder want = new StringBuilder("MSET k " + big);
        for (int i = 0; i < 1000; i++) {
            text.append("$2\r\nk").append(i % 10).append("\r\n$1\r\nx\r\n");
            want.append(" k").append(i % 10).append(" x");
        }
        Recorder r = parse(text.toString(), 100, 200_000);
        assertEquals(null, r.error);
        assertEquals(List.of(want.toString()), r.commands);
        assertEquals(1, r.longs);
        assertTrue(r.longValues.get(0).freed());
    }

    /** What can go wrong with a long argument: each is one protocol error, and its memory is let go of. */
    @Test
    void aLongArgumentThatGoesWrong() {
        int n = RespParser.STREAM_ARG;
        String head = "*2\r\n$4\r\nECHO\r\n$" + n + "\r\n";
        // No CRLF after it.
        Recorder r = new Recorder();
        RespParser p = new RespParser(1 << 20, 1L << 30, r);
        feed(p, r, head + "x".repeat(100));
        assertTrue(p.streamingCapacity() > 0);
        feed(p, r, "x".repeat(n - 100) + "ab*1\r\n$4\r\nPING\r\n");
        assertEquals("Protocol error: expected '\\r\\n' after a bulk string of " + n + " bytes", r.error);
        assertEquals(List.of(), r.commands);
        assertEquals(0, p.streamingCapacity());
        assertEquals(0, p.heldBytes());
        // Announced over the query buffer limit: refused at its header, before any memory is taken.
        r = new Recorder();
        p = new RespParser(1 << 20, n, r);
        feed(p, r, head + "xx");
        assertEquals("Protocol error: unfinished command over the query buffer limit of " + n + " bytes", r.error);
        assertEquals(0, p.streamingCapacity());
        // Long arguments that each fit but not all together: refused at the one that does not.
        r = new Recorder();
        int limit = 2 * (n + 2) + 100;
        p = new RespParser(1 << 20, limit, r);
        String arg = "$" + n + "\r\n" + "y".repeat(n) + "\r\n";
        feed(p, r, "*4\r\n$4\r\nMSET\r\n" + arg + arg + arg, 40, 40 + n, 40 + 2 * n);
        assertEquals("Protocol error: unfinished command over the query buffer limit of " + limit + " bytes", r.error);
        assertEquals(List.of(), r.commands);
        assertEquals(0, p.heldBytes());
        assertTrue(r.longValues.isEmpty());
        // The connection goes away in the middle of it.
        r = new Recorder();
        p = new RespParser(1 << 20, 1L << 30, r);
        feed(p, r, head + "x".repeat(1000));
        assertEquals(head.length() + n + 2, p.heldBytes(), "the command's start and the argument's whole memory");
        p.close();
        assertEquals(0, p.streamingCapacity());
        assertTrue(p.failed());
        feed(p, r, "x".repeat(n));
        assertEquals(List.of(), r.commands);
    }

    /**
     * {@code *1048576} for a command that will not run (unknown), one argument per read: its
     * arguments are dropped as they come, so the parser holds a few hundred bytes, not megabytes,
     * and the command is handed over with its first arguments only. The same stream whole, or
     * split anywhere, gives the same command; a command that runs keeps all its arguments.
     */
    @Test
    void aCommandThatWillNotRunKeepsOnlyItsFirstArguments() {
        int n = 200_000;
        String arg = "$2\r\nab\r\n";
        String text = "*" + (n + 1) + "\r\n$6\r\nnosuch\r\n" + arg.repeat(n) + "*1\r\n$4\r\nPING\r\n";
        String want = "nosuch" + " ab".repeat(RespParser.KEEP_SKIPPED - 1);
        int header = text.indexOf("$2");
        for (int step : new int[] {arg.length(), 5, 3, 4096, text.length()}) {
            Skipper r = new Skipper();
            RespParser p = new RespParser(1 << 20, 1L << 30, r);
            int maxHeld = 0, maxArgs = 0;
            feed(p, r, text.substring(0, header));
            for (int at = header; at < text.length(); at += step) {
                feed(p, r, text.substring(at, Math.min(text.length(), at + step)));
                maxHeld = Math.max(maxHeld, p.heldCapacity());
                maxArgs = Math.max(maxArgs, p.argCapacity());
            }
            assertEquals(null, r.error);
            assertEquals(List.of(want, "PING"), r.commands, "step " + step);
            assertEquals(0, p.heldBytes());
            if (step < 4096) {
                assertTrue(maxHeld <= 1024 && maxArgs <= 128, "step " + step + ": held " + maxHeld + " B, " + maxArgs + " argument slots");
                assertTrue(p.examined() < 4L * text.length(), "examined " + p.examined());
            }
        }
        Recorder all = parse("*" + (RespParser.ASK_ARGS + 2) + "\r\n$4\r\nMGET\r\n" + arg.repeat(RespParser.ASK_ARGS + 1), 30, 100);
        assertEquals("MGET" + " ab".repeat(RespParser.ASK_ARGS + 1), all.commands.get(0));
    }

    /** A sink that knows no command named "nosuch". */
    static final class Skipper extends Recorder {
        @Override
        public boolean runs(MemorySegment seg, long off, int len, long argc) {
            return !new String(seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1).equals("nosuch");
        }
    }
}
