package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Unix;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.FdCount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A Unix listener that fails after its bind made the socket file: the file goes with it, and a
 * file that was there before (someone else's) is never removed.
 */
@Timeout(30)
class UnixListenFailureTest {
    static List<String> backends() {
        return Backends.loops();
    }

    /** The backends whose registration is a syscall the fault seam can fail (epoll_ctl, kevent). */
    static List<String> ctlBackends() {
        return Backends.names().stream().filter(b -> b.equals("epoll") || b.equals("kqueue")).toList();
    }

    private Path dir;

    @BeforeEach
    void dir() throws Exception {
        Assumptions.assumeTrue(Unix.available());
        dir = Files.createTempDirectory("ffmr-listen");
    }

    @AfterEach
    void clear() throws Exception {
        Faults.clear();
        if (dir != null) {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.delete(p);
            }
            Files.delete(dir);
        }
    }

    private static EventLoop open(String backend) throws Exception {
        return EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void listenFailingAfterBindRemovesTheSocketFile(String backend) throws Exception {
        Path path = dir.resolve("l.sock");
        int before = FdCount.now();
        try (EventLoop loop = open(backend)) {
            Faults.fail(Faults.Call.LISTEN, Faults.ANY_FD, 0, Errno.ENOBUFS, 1);
            NativeException e = assertThrows(NativeException.class,
                    () -> loop.listen(path, Trigger.LEVEL, () -> (c, b, n) -> {}));
            assertEquals("listen", e.call());
            assertEquals("ENOBUFS", e.errnoName());
            assertEquals(1, Faults.fired(Faults.Call.LISTEN));
            assertFalse(Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the socket file bind made is left behind");
            // The path is free again: a second listen there works.
            Listener l = loop.listen(path, Trigger.LEVEL, () -> (c, b, n) -> {});
            assertTrue(Files.exists(path));
            l.close();
        }
        FdCount.assertBackTo(before);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aFileThatWasThereFirstIsNeverRemoved(String backend) throws Exception {
        Path path = dir.resolve("taken");
        Files.writeString(path, "someone else's");
        int before = FdCount.now();
        try (EventLoop loop = open(backend)) {
            NativeException e = assertThrows(NativeException.class,
                    () -> loop.listen(path, Trigger.LEVEL, () -> (c, b, n) -> {}));
            assertEquals("EADDRINUSE", e.errnoName());
        }
        assertEquals("someone else's", Files.readString(path, StandardCharsets.UTF_8));
        FdCount.assertBackTo(before);
    }

    /** The socket file was replaced while the listener ran (another server took the path): closing leaves the new one. */
    @ParameterizedTest
    @MethodSource("backends")
    void closingLeavesAFileThatReplacedTheSocketFile(String backend) throws Exception {
        Path path = dir.resolve("replaced.sock");
        List<Throwable> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (EventLoop loop = open(backend)) {
            loop.onError((c, t) -> reported.add(t));
            Listener l = loop.listen(path, Trigger.LEVEL, () -> (c, b, n) -> {});
            Files.delete(path);
            Files.writeString(path, "the new owner's");
            l.close();
        }
        assertEquals("the new owner's", Files.readString(path, StandardCharsets.UTF_8));
        assertEquals(1, reported.size(), reported.toString());
        assertTrue(reported.get(0).getMessage().contains("left in place"), reported.get(0).getMessage());
    }

    @ParameterizedTest
    @MethodSource("ctlBackends")
    void registrationFailingAfterListenRemovesTheSocketFile(String backend) throws Exception {
        Path path = dir.resolve("r.sock");
        int before = FdCount.now();
        try (EventLoop loop = open(backend)) {
            Faults.fail(Faults.Call.CTL, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
            NativeException e = assertThrows(NativeException.class,
                    () -> loop.listen(path, Trigger.LEVEL, () -> (c, b, n) -> {}));
            assertEquals("ENOMEM", e.errnoName());
            assertFalse(Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the socket file is left behind");
        }
        FdCount.assertBackTo(before);
    }
}
