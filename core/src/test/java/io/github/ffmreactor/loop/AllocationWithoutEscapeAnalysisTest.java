package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.sys.Platform;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.ServerProcess;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The epoll echo path allocates nothing per round trip even in code C2 never compiled: a child
 * JVM runs with {@code -XX:TieredStopAtLevel=1} (C1 only, which does no escape analysis). That
 * pins what {@link ZeroAllocationTest} can only see when the JIT happens to leave the loop in
 * such code (under load): a downcall with errno capture slices its capture segment, 40 B per
 * call, unless C2 inlined the JDK's whole adapter. So the per-message calls capture no errno
 * when they succeed (native-notes/ffm.md, "A read is taken without errno first"). Before that,
 * this child measured 40 B per round trip (the read's capture).
 */
@Timeout(120)
class AllocationWithoutEscapeAnalysisTest {
    static final int WARMUP = 5_000, MEASURED = 20_000;

    @Test
    void epollEchoAllocatesNothingInC1Code() throws Exception {
        if (Platform.CURRENT != Platform.LINUX) return; // the no-capture read is syscall(2)'s
        Process p = new ProcessBuilder(ServerProcess.java(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true).start();
        try {
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not exit: " + out);
            assertEquals(0, p.exitValue(), out);
            String line = out.lines().filter(s -> s.startsWith("allocated ")).findFirst().orElseThrow(() -> new AssertionError(out));
            long bytes = Long.parseLong(line.substring("allocated ".length()).trim());
            System.out.printf("C1 only, epoll LEVEL: %d B on the loop thread over %d round trips (%.4f B/rt)%n",
                    bytes, MEASURED, bytes / (double) MEASURED);
            // 40 B per round trip would be 800 000; a few KB once (a class loaded, a compile) is not per message.
            assertTrue(bytes < 16_384, "loop thread allocated " + bytes + " B over " + MEASURED + " round trips in C1 code: " + out);
        } finally {
            p.destroyForcibly();
        }
    }

    /** The child: an epoll echo loop, a blocking client, the loop thread's allocation around the measured round trips. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (LoopRunner r = new LoopRunner(LoopOptions.defaults().withBackend(Backend.EPOLL), Trigger.LEVEL, () -> EchoServer.ECHO);
                 SocketChannel ch = SocketChannel.open(new InetSocketAddress(r.address().getAddress(), r.address().getPort()))) {
                ch.socket().setTcpNoDelay(true);
                ByteBuffer buf = ByteBuffer.allocateDirect(64);
                roundTrips(ch, buf, WARMUP);
                long a0 = allocated(r.loop);
                roundTrips(ch, buf, MEASURED);
                long a1 = allocated(r.loop);
                // The two reads of the counter allocate a little themselves (the task, its future).
                System.out.println("allocated " + (a1 - a0));
            }
        }

        private static long allocated(EventLoop loop) throws Exception {
            CompletableFuture<Long> f = new CompletableFuture<>();
            loop.execute(() -> f.complete(((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                    .getCurrentThreadAllocatedBytes()));
            return f.get(10, TimeUnit.SECONDS);
        }

        private static void roundTrips(SocketChannel ch, ByteBuffer buf, int n) throws Exception {
            for (int i = 0; i < n; i++) {
                buf.clear();
                buf.putLong(0, i);
                while (buf.hasRemaining()) ch.write(buf);
                buf.clear();
                while (buf.hasRemaining()) {
                    if (ch.read(buf) < 0) throw new AssertionError("server closed");
                }
                if (buf.getLong(0) != i) throw new AssertionError("echo " + buf.getLong(0) + " for " + i);
            }
        }
    }
}
