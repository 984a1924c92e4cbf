package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The jar's command line: JMH's own (-l, -lp, regexes, -h, exit statuses) unless the first word is
 * exactly a subcommand, and no subcommand name shadows a benchmark. Runs BenchMain in a child JVM
 * on this test's class path (target/classes holds the META-INF/BenchmarkList the jar ships), as
 * {@code java -jar benchmarks.jar} would; bench/smoke runs the built jar itself.
 */
class BenchMainTest {
    record Run(int status, String out, String err) {}

    static Run bench(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), BenchMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
        var out = new java.util.concurrent.CompletableFuture<String>();
        Thread t = Thread.ofVirtual().start(() -> out.complete(read(p.getInputStream())));
        String err = read(p.getErrorStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bench " + String.join(" ", args) + " did not end");
        t.join();
        return new Run(p.exitValue(), out.get(), err);
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<" + e + ">";
        }
    }

    /** The benchmark names the jar ships (META-INF/BenchmarkList, written by JMH's annotation processor). */
    static Set<String> benchmarkNames() throws IOException {
        try (InputStream in = BenchMain.class.getResourceAsStream(BenchmarkList.BENCHMARK_LIST)) {
            assertTrue(in != null, "no " + BenchmarkList.BENCHMARK_LIST + " on the class path");
            return BenchmarkList.readBenchmarkList(in).stream().map(BenchmarkListEntry::getUsername).collect(Collectors.toSet());
        }
    }

    @Test
    void noSubcommandNameTakenAsAJmhRegexMatchesABenchmark() throws IOException {
        Set<String> names = benchmarkNames();
        assertTrue(names.contains("io.github.ffmreactor.bench.EchoBench.roundTrips"), names.toString());
        OutputFormat quiet = OutputFormatFactory.createFormatInstance(new PrintStream(java.io.OutputStream.nullOutputStream()), VerboseMode.SILENT);
        BenchmarkList list = BenchmarkList.defaultList();
        // JMH's own matching, checked to match at all: a regex it would run.
        assertFalse(list.find(quiet, List.of("EchoBench"), List.of()).isEmpty());
        for (String sub : BenchMain.SUBCOMMANDS) {
            SortedSet<BenchmarkListEntry> hit = list.find(quiet, List.of(sub), List.of());
            assertTrue(hit.isEmpty(), "subcommand '" + sub + "' would shadow JMH's run of " + hit);
            for (String n : names) assertFalse(java.util.regex.Pattern.compile(sub).matcher(n).find(), sub + " matches " + n);
        }
    }

    @Test
    @Timeout(120)
    void jmhOptionsGoToJmh() throws Exception {
        Run l = bench("-l");
        assertEquals(0, l.status(), l.err());
        assertTrue(l.out().contains("Benchmarks:"), l.out());
        assertTrue(l.out().contains("io.github.ffmreactor.bench.EchoBench.roundTrips"), l.out());
        assertTrue(l.out().contains("io.github.ffmreactor.bench.FfmCallBench.getpid"), l.out());

        // A regex narrows the list, as in JMH.
        Run ffm = bench("-l", "FfmCall");
        assertEquals(0, ffm.status(), ffm.err());
        assertTrue(ffm.out().contains("FfmCallBench.getpid"), ffm.out());
        assertFalse(ffm.out().contains("EchoBench"), ffm.out());

        Run lp = bench("-lp", "EchoBench", "-p", "server=ffm-edge");
        assertEquals(0, lp.status(), lp.err());
        assertTrue(lp.out().contains("EchoBench.roundTrips"), lp.out());
        assertTrue(lp.out().contains("param \"server\" = {ffm-edge}"), lp.out());

        Run jmhAlias = bench("jmh", "-l", "FfmCall");
        assertEquals(ffm, jmhAlias);
    }

    @Test
    @Timeout(120)
    void jmhFailuresExitNonZeroAsJmhDoes() throws Exception {
        Run none = bench("NoSuchBenchmarkAnywhere");
        assertEquals(1, none.status(), none.out());
        assertTrue(none.err().contains("No matching benchmarks"), none.err());

        Run bad = bench("-notAJmhOption");
        assertEquals(1, bad.status(), bad.out());
        assertTrue(bad.err().contains("Error parsing command line"), bad.err());
    }

    @Test
    @Timeout(120)
    void helpIsJmhsHelpThenTheSubcommands() throws Exception {
        for (String h : List.of("-h", "--help")) {
            Run r = bench(h);
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("-prof <profiler>"), r.out());
            assertTrue(r.out().indexOf("Subcommands") > r.out().indexOf("-prof <profiler>"), r.out());
            for (String sub : BenchMain.SUBCOMMANDS) assertTrue(r.out().contains("\n  " + sub + " "), sub + " missing: " + r.out());
        }
    }

    @Test
    @Timeout(120)
    void subcommandsAreExactFirstWords() throws Exception {
        Run servers = bench("servers");
        assertEquals(0, servers.status(), servers.err());
        assertEquals(Servers.available(), servers.out().lines().toList());

        // A subcommand's bad option: its own message and status 2, not JMH's.
        Run load = bench("load", "--bogus", "1");
        assertEquals(2, load.status(), load.out());
        assertTrue(load.err().startsWith("bench load: unknown option --bogus"), load.err());
        Run wait = bench("load", "--port", "1", "--client-wait", "sometimes");
        assertEquals(2, wait.status(), wait.out());
        assertTrue(wait.err().startsWith("bench load: --client-wait: "), wait.err());

        // Not first, or not exact: JMH's (here a regex matching nothing).
        Run notFirst = bench("-f", "1", "servers");
        assertEquals(1, notFirst.status(), notFirst.out());
        assertTrue(notFirst.err().contains("No matching benchmarks"), notFirst.err());
        Run prefix = bench("serve");
        assertEquals(1, prefix.status(), prefix.out());
        assertTrue(prefix.err().contains("No matching benchmarks"), prefix.err());
    }
}
