package io.github.ffmreactor.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * External programs a test needs (redis-server, redis-cli, Debian's python3-redis). Where one is
 * missing the test is skipped with the reason, except where {@code FFMREACTOR_REQUIRE_TOOLS} is set
 * (.ci/run and the Linux CI jobs set it, after installing them): there a missing tool fails the
 * test, so CI cannot go green by skipping.
 */
public final class Tools {
    private Tools() {}

    public static final String REQUIRE = "FFMREACTOR_REQUIRE_TOOLS";

    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    /** Skips (or, where tools are required, fails) unless every tool is on the PATH. */
    public static void require(String installHint, String... tools) {
        List<String> missing = new ArrayList<>();
        for (String t : tools) if (!onPath(t)) missing.add(t);
        missing(missing.isEmpty() ? null : String.join(", ", missing) + " not on the PATH", installHint);
    }

    /** A python3 that can {@code import redis} (Debian's /usr/bin/python3 first), or skip/fail. */
    public static String pythonWithRedis() {
        for (String py : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import redis").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) return py;
                p.destroyForcibly();
            } catch (Exception e) {
                // not this one
            }
        }
        missing("no python3 with the redis module", "apt-get install python3-redis");
        return null;
    }

    private static void missing(String what, String installHint) {
        if (what == null) return;
        String message = what + " (install: " + installHint + ")";
        if (System.getenv(REQUIRE) != null && !System.getenv(REQUIRE).isEmpty()) fail(message + "; " + REQUIRE + " is set");
        assumeTrue(false, message);
    }
}
