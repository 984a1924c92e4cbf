package io.github.ffmreactor.bench;

import io.github.ffmreactor.sys.Uring;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The C echo servers (echo_epoll.c; echo_uring.c, linked with liburing): their sources ship in the
 * jar, and are compiled with {@code gcc -O2} on first use into {@code ffmreactor.bench.cdir}
 * (default {@code target/} when run from a Maven module, else the temp directory). No gcc (or, for
 * c-uring, no liburing.h or no io_uring in this kernel): those cells are skipped, with a message saying so.
 */
final class CServer {
    private CServer() {}

    static final String SOURCE = "echo_epoll.c";
    static final String URING_SOURCE = "echo_uring.c";
    /** Where Debian/Ubuntu (liburing-dev) and Fedora (liburing-devel) put the header. */
    static final String LIBURING_HEADER = "/usr/include/liburing.h";

    /** The source of C server {@code impl}. */
    static String source(String impl) {
        return impl.startsWith("c-uring") ? URING_SOURCE : SOURCE;
    }

    /** Why c-uring cannot be built or run here, or null. */
    static String uringUnavailable() {
        if (gccPath() == null) return "no gcc on PATH to build bench/src/main/c/" + URING_SOURCE;
        if (!Files.isReadable(Path.of(LIBURING_HEADER))) {
            return "no " + LIBURING_HEADER + " to build bench/src/main/c/" + URING_SOURCE
                    + " (install liburing-dev; bench/run-bench and bench/smoke do where apt-get runs as root)";
        }
        String why = Uring.unavailableReason();
        return why == null ? null : "io_uring is not usable here: " + why;
    }

    static String gccPath() {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator, -1)) {
            for (String name : new String[] {"gcc", "cc"}) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p.toString();
            }
        }
        return null;
    }

    /** The compiled epoll server, built now if missing or older than the jar's source. */
    static Path binary() throws IOException, InterruptedException {
        return binary(SOURCE);
    }

    /** The compiled server of {@code source}, built now if missing or older than the jar's source. */
    static synchronized Path binary(String source) throws IOException, InterruptedException {
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
        String tag = Integer.toHexString(Arrays.hashCode(src));
        String base = source.replace(".c", "");
        Path bin = dir.resolve(base + "-" + tag);
        if (Files.isExecutable(bin)) return bin;
        Path c = dir.resolve(base + "-" + tag + ".c");
        Files.write(c, src);
        Path tmp = dir.resolve(base + "-" + tag + ".tmp" + ProcessHandle.current().pid());
        List<String> cmd = new ArrayList<>(List.of(gcc, "-O2", "-o", tmp.toString(), c.toString()));
        if (source.equals(URING_SOURCE)) cmd.add("-luring");
        if (source.equals(CoreToCore.SOURCE)) cmd.add("-pthread");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("gcc failed to build " + c + ":\n" + outText);
        }
        Files.move(tmp, bin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return bin;
    }
}
