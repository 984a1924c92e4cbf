package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Any split of a valid request stream into reads gives the same commands as the stream whole:
 * random commands (multibulk with any bytes, CR and LF included, and inline ones), cut at random
 * places, fed read by read.
 */
class RespParserPropertyTest {
    /** One command: its arguments, and whether it goes inline. */
    record Cmd(List<String> args, boolean inline) {
        String wire() {
            if (inline) return String.join(" ", args) + "\r\n";
            StringBuilder b = new StringBuilder().append('*').append(args.size()).append("\r\n");
            for (String a : args) b.append('$').append(a.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n").append(a).append("\r\n");
            return b.toString();
        }
    }

    @Provide
    Arbitrary<List<Cmd>> streams() {
        Arbitrary<String> anyBytes = Arbitraries.strings().withCharRange((char) 0, (char) 255).ofMinLength(0).ofMaxLength(40);
        Arbitrary<String> word = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12);
        Arbitrary<Cmd> multibulk = anyBytes.list().ofMinSize(1).ofMaxSize(8).map(a -> new Cmd(a, false));
        Arbitrary<Cmd> inline = word.list().ofMinSize(1).ofMaxSize(6).map(a -> new Cmd(a, true));
        return Arbitraries.oneOf(multibulk, inline).list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 10_000).list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void anySplitGivesTheSameCommands(@ForAll("streams") List<Cmd> cmds, @ForAll("cuts") List<Integer> cuts) {
        StringBuilder wire = new StringBuilder();
        List<String> want = new ArrayList<>();
        for (Cmd c : cmds) {
            wire.append(c.wire());
            want.add(String.join(" ", c.args()));
        }
        String text = wire.toString();
        TreeSet<Integer> at = new TreeSet<>();
        for (int c : cuts) if (c > 0 && c < text.length()) at.add(c % text.length());
        at.remove(0);
        int[] pieces = at.stream().mapToInt(Integer::intValue).toArray();
        RespParserTest.Recorder r = new RespParserTest.Recorder();
        RespParser p = new RespParser(1 << 20, 1L << 30, r);
        RespParserTest.feed(p, r, text, pieces);
        assertEquals(null, r.error);
        assertEquals(want, r.commands);
        assertEquals(0, p.heldBytes());
    }

    /**
     * The same with commands that will not run among them ({@code nosuch} with 65 to 300
     * arguments): any split hands each over with its first {@link RespParser#KEEP_SKIPPED}
     * arguments, and the commands around it whole.
     */
    @Property(tries = 200)
    void anySplitKeepsTheFirstArgumentsOfACommandThatWillNotRun(@ForAll("streams") List<Cmd> cmds, @ForAll("cuts") List<Integer> cuts,
                                                                 @ForAll("skipped") List<String> skippedArgs) {
        List<Cmd> all = new ArrayList<>(cmds);
        List<String> args = new ArrayList<>(List.of("nosuch"));
        args.addAll(skippedArgs);
        all.add(cmds.size() / 2, new Cmd(args, false));
        StringBuilder wire = new StringBuilder();
        List<String> want = new ArrayList<>();
        for (Cmd c : all) {
            wire.append(c.wire());
            List<String> kept = c.args().get(0).equals("nosuch") ? c.args().subList(0, RespParser.KEEP_SKIPPED) : c.args();
            want.add(String.join(" ", kept));
        }
        String text = wire.toString();
        TreeSet<Integer> at = new TreeSet<>();
        for (int c : cuts) if (c > 0) at.add(c * 7 % text.length());
        at.remove(0);
        RespParserTest.Recorder r = new RespParserTest.Skipper();
        RespParser p = new RespParser(1 << 20, 1L << 30, r);
        RespParserTest.feed(p, r, text, at.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(null, r.error);
        assertEquals(want, r.commands);
        assertEquals(0, p.heldBytes());
    }

    /**
     * The same with long arguments among them (from {@link RespParser#STREAM_ARG} bytes, any bytes,
     * CR and LF included, in any position of a command): they go into memory of their own when not
     * all in one read, and every split still gives the same commands, with each byte copied a
     * bounded number of times and every long argument's memory let go of.
     */
    @Property(tries = 60)
    void anySplitOfLongArgumentsGivesTheSameCommands(@ForAll("streams") List<Cmd> cmds, @ForAll("fractions") List<Double> cuts,
                                                     @ForAll("longs") List<String> longs, @ForAll("fractions") List<Double> where) {
        List<Cmd> all = new ArrayList<>(cmds);
        for (int i = 0; i < longs.size(); i++) {
            List<String> args = new ArrayList<>(List.of("SET", "k"));
            args.add(Math.min(2, (int) (where.isEmpty() ? 0 : where.get(i % where.size()) * 3)), longs.get(i));
            all.add((int) (all.size() * (where.isEmpty() ? 0.5 : where.get(where.size() - 1 - i % where.size()))), new Cmd(args, false));
        }
        StringBuilder wire = new StringBuilder();
        List<String> want = new ArrayList<>();
        for (Cmd c : all) {
            wire.append(c.wire());
            want.add(String.join(" ", c.args()));
        }
        String text = wire.toString();
        TreeSet<Integer> at = new TreeSet<>();
        for (double c : cuts) at.add((int) (c * text.length()));
        at.remove(0);
        RespParserTest.Recorder r = new RespParserTest.Recorder();
        RespParser p = new RespParser(1 << 20, 1L << 30, r);
        RespParserTest.feed(p, r, text, at.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(null, r.error);
        assertEquals(want, r.commands);
        assertEquals(0, p.heldBytes());
        assertTrue(p.examined() < 4L * text.length(), "examined " + p.examined() + " for " + text.length());
        for (BigValue v : r.longValues) assertTrue(v.freed());
    }

    @Provide
    Arbitrary<List<Double>> fractions() {
        return Arbitraries.doubles().between(0, 1).list().ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<String>> longs() {
        Arbitrary<String> one = Arbitraries.integers().between(0, 3000).flatMap(extra -> Arbitraries.strings()
                .withCharRange((char) 0, (char) 255).ofLength(64).map(unit -> unit.repeat((RespParser.STREAM_ARG + extra) / 64 + 1)
                        .substring(0, RespParser.STREAM_ARG + extra)));
        return one.list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<String>> skipped() {
        return Arbitraries.strings().withCharRange((char) 0, (char) 255).ofMaxLength(20).list().ofMinSize(RespParser.ASK_ARGS)
                .ofMaxSize(300);
    }
}
