package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.testutil.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A server whose loop dies (its poller fails: epoll_wait or io_uring_enter made to return EBADF) exits non-zero,
 * so a supervisor that restarts failed services sees it. It used to print its counters and exit 0.
 */
@Timeout(60)
class LoopFailureExitTest {
    private static final Pattern PORT = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @AfterEach
    void clear() {
        Faults.clear();
    }

    @ParameterizedTest
    @CsvSource({"epoll, 1", "epoll, 2", "io_uring, 1", "io_uring, 2"})
    void echoExitsNonZeroWhenItsLoopDies(String backend, String loops) throws Exception {
        // io_uring: the failed call is io_uring_enter.
        org.junit.jupiter.api.Assumptions.assumeTrue(
                io.github.ffmreactor.loop.EventLoop.backends().contains(io.github.ffmreactor.loop.Backend.parse(backend)),
                backend + " unavailable here");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread server = Thread.ofPlatform().start(() -> {
            try {
                exit.complete(Main.run(new String[] {"echo", "--port", "0", "--loops", loops, "--backend", backend}, out, out));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        });
        Await.until("ready line", () -> PORT.matcher(bytes.toString(StandardCharsets.UTF_8)).find());
        Matcher m = PORT.matcher(bytes.toString(StandardCharsets.UTF_8));
        assertTrue(m.find());
        Faults.fail(Faults.Call.WAIT, Faults.ANY_FD, 0, Errno.EBADF, 1);
        // An event ends the current wait; the next one fails. If the loop had not reached its first
        // wait yet (io_uring opens its ring there), that wait fails at once and the listener is
        // closed before this connect: refused is fine, the connect is only there to wake the loop.
        Socket s = null;
        try {
            s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)));
        } catch (java.net.ConnectException loopAlreadyDown) {
            // the exit code below is what this test is about
        }
        try {
            assertEquals(1, (int) exit.get(20, TimeUnit.SECONDS), bytes.toString(StandardCharsets.UTF_8));
        } finally {
            if (s != null) s.close();
        }
        server.join(5000);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("stopped:"));
    }
}
