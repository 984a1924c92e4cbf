package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.testutil.FdCount;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A connect asked before the loop runs: it waits for the loop (nothing is opened on the caller's
 * thread), its timeout counts from the call, and a loop that closes without running fails it.
 */
@Timeout(30)
class ConnectBeforeStartTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Asserts that nobody connected to {@code server} (in 200 ms). */
    private static void assertNoConnection(ServerSocket server) throws Exception {
        server.setSoTimeout(200);
        try (Socket s = server.accept()) {
            throw new AssertionError("a socket was connected before the loop ran: " + s);
        } catch (SocketTimeoutException expected) {
            // nothing was opened
        }
    }

    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void aTimeoutThatRanOutBeforeTheLoopStartedFailsTheConnectAndOpensNothing(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK); EventLoop loop = TerminationTest.open(backend)) {
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                    Trigger.LEVEL, (c, b, n) -> {}, Duration.ofMillis(100));
            assertNoConnection(server); // also lets the 100 ms run out
            assertFalse(f.isDone(), "nothing runs before the loop does");
            loop.start("late-start");
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            SocketTimeoutException te = assertInstanceOf(SocketTimeoutException.class, e.getCause());
            assertTrue(te.getMessage().contains("100 ms"), te.getMessage());
            assertNoConnection(server);
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void theTimeoutCountsFromTheCallNotFromTheStart(String backend) throws Exception {
        // A listener whose full accept queue drops SYNs: a connect there hangs (ConnectTest).
        int before = FdCount.now();
        int lfd = Tcp.listen(new InetSocketAddress(LOOPBACK, 0), 0, false);
        try (Socket filler = new Socket(); EventLoop loop = TerminationTest.open(backend)) {
            InetSocketAddress target = new InetSocketAddress(LOOPBACK, Tcp.localAddress(lfd).getPort());
            filler.connect(target, 2000); // takes the one place in the queue
            long asked = System.nanoTime();
            CompletableFuture<Connection> f = loop.connect(target, Trigger.LEVEL, (c, b, n) -> {}, Duration.ofMillis(600));
            Thread.sleep(300);
            loop.start("timeout-from-call");
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
            assertInstanceOf(SocketTimeoutException.class, e.getCause());
            assertTrue(ms >= 550 && ms < 880, "timed out " + ms + " ms after the call: the 600 ms count from the call");
        } finally {
            Fds.closeQuietly(lfd);
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void closingALoopThatNeverRanFailsItsConnectAndOpensNothing(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            CompletableFuture<Connection> f;
            try (EventLoop loop = TerminationTest.open(backend)) {
                f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()), Trigger.LEVEL,
                        (c, b, n) -> {}, null);
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
            assertNoConnection(server);
        }
        FdCount.assertBackTo(before);
    }

    /** An embedder's loop: the connect asked before its first runOnce completes in its turns, on its thread. */
    @ParameterizedTest
    @MethodSource("io.github.ffmreactor.loop.TerminationTest#backends")
    void anEmbedderRunsAConnectAskedBeforeItsFirstTurn(String backend) throws Exception {
        int before = FdCount.now();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK); EventLoop loop = TerminationTest.open(backend)) {
            Thread me = Thread.currentThread();
            CompletableFuture<Thread> openedOn = new CompletableFuture<>();
            CompletableFuture<Connection> f = loop.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()),
                    Trigger.LEVEL, new Handler() {
                        @Override
                        public void onOpen(Connection c) {
                            openedOn.complete(Thread.currentThread());
                        }

                        @Override
                        public void onData(Connection c, java.lang.foreign.MemorySegment buf, int len) {}
                    }, Duration.ofSeconds(5));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!f.isDone() && System.nanoTime() < deadline) loop.runOnce(10, TimeUnit.MILLISECONDS);
            assertTrue(f.get(0, TimeUnit.SECONDS).isOpen());
            assertTrue(openedOn.get(0, TimeUnit.SECONDS) == me, "onOpen ran on the embedder's thread");
            server.accept().close();
        }
        FdCount.assertBackTo(before);
    }
}
