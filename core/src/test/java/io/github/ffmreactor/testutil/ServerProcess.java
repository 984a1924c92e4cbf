package io.github.ffmreactor.testutil;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CLI server run as its own process, as a user runs it: started with {@code java -cp classes Main
 * <command> ...} (optionally under a wrapper such as {@code prlimit}), known by the pid and port of
 * its ready line, watched through /proc (fds, RSS, CPU of the loop thread), stopped with SIGTERM.
 * Its output goes to a file that is followed all the time (a server that logs in a tight loop must
 * not block on a full pipe, which would hide the spin); the first and last lines are kept for
 * failure messages.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern READY =
            Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) backend=(\\w+) trigger=(\\w+) pid=(\\d+)");
    private static final int KEEP_LINES = 40;
    /** HotSpot's own threads (GC, JIT, VM, service), by the start of their Linux thread names. */
    private static final Pattern JVM_THREAD = Pattern.compile("GC Thread|G1 |C1 Compiler|C2 Compiler|VM Thread"
            + "|VM Periodic|Reference Handl|Finalizer|Signal Dispatch|Service Thread|Monitor Deflati|Notification Th"
            + "|Common-Cleaner|Attach Listener|Sweeper|GC |ZWorker|ZDriver|Shenandoah|Cleaner|JFR ");

    private final Process process;
    private final long pid;
    private final int port;
    private final String readyLine;
    private final List<String> head = new ArrayList<>();
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private final AtomicLong lines = new AtomicLong();
    private final Thread drain;

    /**
     * The server's classes: {@code target/classes} of this build, or the directory named by the
     * system property {@code ffmreactor.stress.classes} (to run the same tests against another
     * build, e.g. an older commit's classes).
     */
    public static String classes() {
        String c = System.getProperty("ffmreactor.stress.classes");
        return c != null && !c.isBlank() ? c : Path.of("target", "classes").toAbsolutePath().toString();
    }

    /** The property's words to append to {@code args}: without its {@code --backend X} when {@code args} has one. */
    static List<String> variant(List<String> args, String extra) {
        List<String> words = new ArrayList<>(Arrays.asList(extra.strip().split("\\s+")));
        if (args.contains("--backend")) {
            int i = words.indexOf("--backend");
            if (i >= 0) words.subList(i, Math.min(i + 2, words.size())).clear();
        }
        return words;
    }

    /** {@code java} of the JDK running the tests. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * {@code java} and the flags every JVM the tests start needs: native access, and the test JVM's
     * {@code ffmreactor.kqueue.library} when set, so a server started with {@code --backend kqueue}
     * links the same kqueue as the test that starts it.
     */
    public static List<String> jvm() {
        List<String> cmd = new ArrayList<>(List.of(java(), "--enable-native-access=ALL-UNNAMED"));
        String kq = System.getProperty("ffmreactor.kqueue.library", "");
        if (!kq.isBlank()) cmd.add("-Dffmreactor.kqueue.library=" + kq);
        return cmd;
    }

    /**
     * Starts {@code wrapper... java ... Main args...} and waits (bounded) for its ready line. The
     * system property {@code ffmreactor.stress.serverArgs} (space-separated) is appended to
     * {@code args}: the same cases against another variant, e.g. {@code --loops 4}. A case that
     * names its own backend (select's fd limit) keeps it: a {@code --backend} in the property is
     * then left out, and the rest still applies.
     */
    public static ServerProcess start(List<String> wrapper, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(jvm());
        cmd.addAll(List.of("-cp", classes(), "io.github.ffmreactor.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        String extra = System.getProperty("ffmreactor.stress.serverArgs", "");
        if (!extra.isBlank()) cmd.addAll(variant(Arrays.asList(args), extra));
        Path log = Files.createTempFile("ffmreactor-server-", ".log");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            Files.deleteIfExists(log);
            throw e;
        }
        try {
            return new ServerProcess(p, log, String.join(" ", cmd));
        } catch (Throwable t) {
            p.destroyForcibly();
            throw t;
        }
    }

    public static ServerProcess start(String... args) throws Exception {
        return start(List.of(), args);
    }

    private ServerProcess(Process p, Path log, String cmd) throws Exception {
        process = p;
        CompletableFuture<String> ready = new CompletableFuture<>();
        drain = Thread.ofPlatform().daemon().name("server-output-" + p.pid()).start(() -> {
            try {
                follow(log, l -> {
                    if (!ready.isDone() && READY.matcher(l).find()) ready.complete(l);
                    keep(l);
                });
            } catch (Exception e) {
                keep("(test: reading the server's output failed: " + e + ")");
            } finally {
                ready.complete(null);
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file left behind; nothing to fail for
                }
            }
        });
        String line;
        try {
            line = ready.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no ready line within 30 s from " + cmd + "\n" + output());
        }
        if (line == null) throw new AssertionError("server ended before its ready line: " + cmd + "\n" + output());
        Matcher m = READY.matcher(line);
        if (!m.find()) throw new AssertionError(line);
        readyLine = line;
        port = Integer.parseInt(m.group(1));
        pid = Long.parseLong(m.group(4));
    }

    /**
     * Reads the server's output file as it grows, line by line, until the process has ended and
     * everything it wrote is read. (Not a pipe: the JDK's process reaper closes a pipe that a thread
     * is reading when the process exits, and the last lines, the counters, are lost.) The file is
     * opened in append mode, so it can be emptied once read: a server logging in a tight loop fills
     * no disk. Lines written during that emptying may be lost; only such a flood is ever emptied.
     */
    private void follow(Path log, java.util.function.Consumer<String> lineSink) throws Exception {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long pos = 0;
            while (true) {
                boolean ended = !process.isAlive(); // checked before the read: after it, nothing more comes
                int n = ch.read(buf.clear(), pos);
                if (n > 0) {
                    pos += n;
                    for (int i = 0; i < n; i++) {
                        byte b = buf.get(i);
                        if (b != '\n') {
                            line.write(b);
                        } else {
                            lineSink.accept(line.toString(StandardCharsets.UTF_8));
                            line.reset();
                        }
                    }
                    continue;
                }
                if (ended) break;
                if (pos > 16 << 20) {
                    ch.truncate(0);
                    pos = 0;
                }
                Thread.sleep(5); // a pause between reads of a file that has no readiness to wait on
            }
            if (line.size() > 0) lineSink.accept(line.toString(StandardCharsets.UTF_8));
        }
    }

    private synchronized void keep(String l) {
        lines.incrementAndGet();
        if (head.size() < KEEP_LINES) {
            head.add(l);
            return;
        }
        tail.addLast(l);
        if (tail.size() > KEEP_LINES) tail.removeFirst();
    }

    /** Lines printed so far. */
    public long lines() {
        return lines.get();
    }

    /** The first and last lines of its output (with how many were left out between them). */
    public synchronized String output() {
        StringBuilder sb = new StringBuilder();
        head.forEach(l -> sb.append(l).append('\n'));
        long skipped = lines.get() - head.size() - tail.size();
        if (skipped > 0) sb.append("... ").append(skipped).append(" lines ...\n");
        tail.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    public long pid() {
        return pid;
    }

    public int port() {
        return port;
    }

    public String readyLine() {
        return readyLine;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** "running", or how it ended: for failure messages. */
    public String status() {
        return process.isAlive() ? "running" : "exited with code " + process.exitValue();
    }

    public int fds() {
        return Proc.fds(pid);
    }

    public long rssKiB() {
        return Proc.rssKiB(pid);
    }

    /**
     * CPU time (ms) of the loop thread so far: of every thread but the JVM's own (GC, JIT compilers,
     * VM and service threads, named by HotSpot as below). With {@code --loops 1} the server runs
     * its loop on the main thread, which Linux names after the launcher ({@code java}); the
     * launcher's first thread (also {@code java}) only waits for it. Counting by exclusion keeps
     * the measure right should the loop move to a thread of another name.
     */
    public long loopCpuMillis() {
        return Proc.threadCpuMillis(pid, name -> !JVM_THREAD.matcher(name).lookingAt());
    }

    /** Share of one core the loop thread used over {@code window}: 0.25 is a quarter of a core. */
    public double loopCpuShare(Duration window) throws InterruptedException {
        long c0 = loopCpuMillis();
        long t0 = System.nanoTime();
        Thread.sleep(window); // the measurement window itself, not a wait for an event
        long c1 = loopCpuMillis();
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        return (double) (c1 - c0) / elapsedMs;
    }

    /** One new connection gets {@code n} random bytes back, unchanged (within 10 s). */
    public void assertEchoes(int n) throws IOException, InterruptedException {
        byte[] msg = new byte[n];
        new Random(n).nextBytes(msg);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            Thread w = Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(msg);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = new byte[n];
            new DataInputStream(s.getInputStream()).readFully(back);
            w.join(10_000);
            if (!Arrays.equals(msg, back)) throw new AssertionError("echo differs from what was sent");
        }
    }

    /** Sends SIGTERM and waits (bounded) for the exit code; kills it if it does not stop. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("server did not stop within 30 s of SIGTERM\n" + output());
        }
        drain.join(5_000);
        return process.exitValue();
    }

    /** Kills the process (SIGKILL, by its pid) if it still runs, and waits for it and its output. */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        drain.join(5_000);
    }
}
