package io.github.ffmreactor.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * The C epoll echo server: its source ships in the jar, and is compiled with {@code gcc -O2} on
 * first use into {@code ffmreactor.bench.cdir} (default {@code target/} when run from a Maven
 * module, else the temp directory). No gcc: the C cells are skipped, with a message saying so.
 */
final class CServer {
    private CServer() {}

    static final String SOURCE = "echo_epoll.c";

    static String gccPath() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            for (String name : new String[] {"gcc", "cc"}) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p.toString();
            }
        }
        return null;
    }

    /** The compiled server, built now if missing or older than the jar's source. */
    static Path binary() throws IOException, InterruptedException {
        return binary(SOURCE);
    }

    /** The compiled {@code source} (a file of src/main/c), built now if missing or older than the jar's copy. */
    static synchronized Path binary(String source) throws IOException, InterruptedException {
        String name = source.substring(0, source.length() - 2);
        String gcc = gccPath();
        if (gcc == null) throw new IOException("no gcc on PATH: cannot build the C echo server");
        String dflt = Files.isDirectory(Path.of("target")) ? "target" : System.getProperty("java.io.tmpdir");
        Path dir = Path.of(System.getProperty("ffmreactor.bench.cdir", dflt)).toAbsolutePath();
        Files.createDirectories(dir);
        byte[] src;
        try (InputStream in = CServer.class.getResourceAsStream("/c/" + source)) {
            if (in == null) throw new IOException("c/" + source + " is not on the class path");
            src = in.readAllBytes();
        }
        // The binary's name carries a hash of its source, so an edited source is rebuilt.
        String tag = Integer.toHexString(java.util.Arrays.hashCode(src));
        Path bin = dir.resolve(name + "-" + tag);
        if (Files.isExecutable(bin)) return bin;
        Path c = dir.resolve(name + "-" + tag + ".c");
        Files.write(c, src);
        Path tmp = dir.resolve(name + "-" + tag + ".tmp" + ProcessHandle.current().pid());
        Process p = new ProcessBuilder(gcc, "-O2", "-o", tmp.toString(), c.toString()).redirectErrorStream(true).start();
        String outText = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("gcc failed to build " + c + ":\n" + outText);
        }
        Files.move(tmp, bin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return bin;
    }
}
