package io.github.ffmreactor.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code strace -c -f -p PID} over a window: which system calls a server makes, and how many, per
 * round trip. strace slows the traced process down a lot, so only the counts mean anything here,
 * never the times or the throughput.
 */
final class Strace implements AutoCloseable {
    private final Process p;
    private final Path out;

    private Strace(Process p, Path out) {
        this.p = p;
        this.out = out;
    }

    static boolean available() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
            if (Files.isExecutable(Path.of(dir, "strace"))) return true;
        }
        return false;
    }

    /** Attaches to every thread of {@code pid}; returns once attached (or after 3 s). */
    static Strace attach(long pid) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ffmreactor-strace-", ".txt");
        Process p = new ProcessBuilder("strace", "-c", "-f", "-o", out.toString(), "-p", Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // strace -c prints nothing until it ends; give it time to seize every thread.
        Thread.sleep(1000);
        if (!p.isAlive()) throw new IOException("strace exited at once (exit " + p.exitValue() + "): ptrace not permitted?");
        return new Strace(p, out);
    }

    /** Detaches and returns calls per syscall name (the summary strace writes on SIGTERM). */
    Map<String, Long> stop() throws IOException, InterruptedException {
        p.destroy(); // SIGTERM: strace detaches and writes its summary
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String l : Files.readAllLines(out)) {
            String[] f = l.trim().split("\\s+", -1);
            // % time, seconds, usecs/call, calls, [errors,] syscall
            if (f.length < 5 || !f[0].matches("[0-9.]+") || f[f.length - 1].equals("total")) continue;
            try {
                calls.put(f[f.length - 1], Long.parseLong(f[3]));
            } catch (NumberFormatException ignored) {
                // not a row
            }
        }
        Files.deleteIfExists(out);
        return calls;
    }

    @Override
    public void close() {
        if (p.isAlive()) p.destroyForcibly();
    }
}
