package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help, version and usage errors, as a shell user meets them: which stream, which exit code. */
@Timeout(30)
class MainUsageTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo", "upper", "chat", "udp-chat", "client"})
    void everyCommandHasItsOwnHelp(String command) throws Exception {
        for (String flag : new String[] {"--help", "-h"}) {
            out.reset();
            assertEquals(0, run(command, "--port", "1", flag));
            assertTrue(out().startsWith("usage: ffmreactor " + command + " --"), out());
        }
        assertEquals("", err());
    }

    @Test
    void noArgumentsIsAUsageErrorOnStderr() throws Exception {
        assertEquals(2, run());
        assertEquals("", out());
        assertTrue(err().startsWith("usage: ffmreactor <command>"), err());
    }

    @Test
    void unknownOptionsAreListedInAStableOrder() throws Exception {
        assertEquals(2, run("echo", "--bogus", "1"));
        assertEquals("", out());
        assertTrue(err().startsWith("ffmreactor echo: unknown option --bogus (takes: --backend, --host, --loops, --port, --trigger, --wait)"), err());
        assertTrue(err().contains("usage: ffmreactor echo "), err());
    }

    @Test
    void badValuesAreUsageErrors() throws Exception {
        assertEquals(2, run("echo", "--port", "70000"));
        assertTrue(err().contains("--port must be in 0..65535"), err());
        // A host that does not resolve is a bad argument too (it was exit 1, as if a bind failed). A malformed
        // IPv6 literal fails in the JDK itself, with no DNS query, so the test needs no resolver.
        for (String cmd : java.util.List.of("echo", "upper", "chat", "udp-chat", "client")) {
            err.reset();
            assertEquals(2, run(cmd, "--host", "[::1", "--port", "1"), cmd);
            assertTrue(err().contains("ffmreactor " + cmd + ": --host '[::1' does not resolve"), err());
            err.reset();
            assertEquals(2, run(cmd, "--host", "", "--port", "1"), cmd);
            assertTrue(err().contains("--host must name an address or a host, got ''"), err());
        }
        // Backends: one list of names (Backend), the same for every command; io_uring where refused: UringBackendExitTest.
        for (String cmd : java.util.List.of("echo", "upper", "chat", "udp-chat", "client")) {
            err.reset();
            assertEquals(2, run(cmd, "--backend", "iocp", "--port", "1"), cmd);
            assertTrue(err().contains("ffmreactor " + cmd + ": --backend must be one of auto|epoll|kqueue|poll|select|io_uring, got 'iocp'"), err());
        }
        err.reset();
        assertEquals(2, run("nonesuch"));
        assertTrue(err().contains("unknown command 'nonesuch'"), err());
    }

    @Test
    void versionSaysWhereItComesFrom() throws Exception {
        assertEquals(0, run("--version"));
        // Run from classes (as here), there is no manifest to read; the jar prints its version.
        assertEquals("ffmreactor (unknown version: not run from the jar)", out().strip());
    }
}
