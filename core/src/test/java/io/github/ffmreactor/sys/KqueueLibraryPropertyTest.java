package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.testutil.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code -Dffmreactor.kqueue.library=PATH}, the test aid that links kqueue from libkqueue on Linux:
 * without it Linux has no kqueue, and a path that does not load or lacks the symbols is refused
 * with an error naming it (never a quiet run on the other backends). Each case is its own JVM, as
 * the property is read once.
 */
@Timeout(60)
class KqueueLibraryPropertyTest {
    private record Run(int exit, String output) {}

    /** {@code java [-D...library=path] Main echo --backend B --port 0}, stopped if it starts listening. */
    private static Run echo(String library, String backend) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ServerProcess.java(), "--enable-native-access=ALL-UNNAMED"));
        if (library != null) cmd.add("-D" + Kqueue.LIBRARY_PROPERTY + "=" + library);
        cmd.addAll(List.of("-cp", Path.of("target", "classes").toAbsolutePath().toString(),
                "io.github.ffmreactor.cli.Main", "echo", "--port", "0", "--backend", backend));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void unsetLeavesLinuxWithoutKqueue() throws Exception {
        assumeTrue(Platform.CURRENT == Platform.LINUX, "the property is read on Linux only");
        Run r = echo(null, "kqueue");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("backend 'kqueue' is not available"), r.output());
        assertFalse(r.output().contains(Kqueue.LIBRARY_PROPERTY), r.output());
        // A blank value is unset: the other backends run as usual.
        Run blank = echo(" ", "kqueue");
        assertEquals(2, blank.exit(), blank.output());
        assertTrue(blank.output().contains("backend 'kqueue' is not available"), blank.output());
    }

    @Test
    void aPathThatDoesNotLoadIsRefusedByName() throws Exception {
        assumeTrue(Platform.CURRENT == Platform.LINUX, "the property is read on Linux only");
        Path missing = Files.createTempDirectory("kq").resolve("no-such-libkqueue.so");
        try {
            Run r = echo(missing.toString(), "kqueue");
            assertEquals(2, r.exit(), r.output());
            assertTrue(r.output().contains("-Dffmreactor.kqueue.library=" + missing + " is refused: it does not load"),
                    r.output());
            // Refused for every backend, auto too: a run meant for kqueue must not go quietly on epoll.
            Run auto = echo(missing.toString(), "auto");
            assertEquals(2, auto.exit(), auto.output());
            assertTrue(auto.output().contains("is refused"), auto.output());
        } finally {
            Files.deleteIfExists(missing.getParent());
        }
    }

    @Test
    void aLibraryWithoutKqueueIsRefusedByName() throws Exception {
        assumeTrue(Platform.CURRENT == Platform.LINUX, "the property is read on Linux only");
        Path libjava = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        assumeTrue(Files.exists(libjava), "a shared library that loads: " + libjava);
        Run r = echo(libjava.toString(), "kqueue");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains(libjava + " is refused: it has no kqueue or kevent symbol"), r.output());
    }

    @Test
    void theTestJvmGetsTheBuildsValue() {
        // The build passes the property (empty unless given) to every test JVM: a run with it set
        // must reach the tests, which then run on kqueue as well.
        String v = System.getProperty(Kqueue.LIBRARY_PROPERTY);
        assertTrue(v != null, "the surefire argLine sets " + Kqueue.LIBRARY_PROPERTY);
        if (!v.isBlank() && Platform.CURRENT == Platform.LINUX) {
            assertTrue(Kqueue.EMULATED && Kqueue.available(), v);
            assertTrue(io.github.ffmreactor.poll.Poller.available().contains("kqueue"));
        }
    }
}
