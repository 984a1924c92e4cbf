package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.net.Unix;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class UnixSocketTest {
    static List<String> backends() {
        return io.github.ffmreactor.testutil.Backends.loops();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void echoOverAUnixSocketAndTheFileGoesAway(String backend) throws Exception {
        Assumptions.assumeTrue(Unix.available());
        Path dir = Files.createTempDirectory("ffmr");
        Path path = dir.resolve("echo.sock");
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            Listener l = loop.listen(path, Trigger.LEVEL, () -> (c, buf, len) -> c.write(buf, 0, len));
            assertEquals(path, l.path());
            assertTrue(Files.exists(path));
            loop.start("unix");
            CompletableFuture<String> got = new CompletableFuture<>();
            StringBuilder sb = new StringBuilder();
            Connection c = loop.connect(path, Trigger.LEVEL, (k, buf, len) -> {
                sb.append(new String(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                if (sb.length() >= 11) got.complete(sb.toString());
            }, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
            TimersTest.onLoop(loop, () -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment m = a.allocateFrom("hello unix!", StandardCharsets.US_ASCII);
                    c.write(m, 0, 11);
                }
            });
            assertEquals("hello unix!", got.get(5, TimeUnit.SECONDS));
            l.close();
            TimersTest.onLoop(loop, () -> {});
            assertFalse(Files.exists(path), "listener removes its socket file");
            // Nobody listens now: a clear error, not a hang.
            ExecutionException e = assertThrows(ExecutionException.class, () ->
                    loop.connect(path, Trigger.LEVEL, (k, b, n) -> {}, Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));
            NativeException ne = assertInstanceOf(NativeException.class, e.getCause());
            assertEquals("ENOENT", ne.errnoName(), ne.getMessage());
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aPathTooLongForSunPathFailsTheConnectAndOpensNothing(String backend) throws Exception {
        Assumptions.assumeTrue(Unix.available());
        Path tooLong = Path.of("/tmp/" + "x".repeat(200) + ".sock");
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            loop.start("unix-long");
            ExecutionException e = assertThrows(ExecutionException.class, () ->
                    loop.connect(tooLong, Trigger.LEVEL, (k, b, n) -> {}, Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));
            IllegalArgumentException iae = assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(iae.getMessage().contains("unix socket path"), iae.getMessage());
            assertEquals(0, (int) io.github.ffmreactor.testutil.OnLoop.call(loop, () -> loop.counters.connecting()));
        }
        FdCount.assertBackTo(before);
    }
}
