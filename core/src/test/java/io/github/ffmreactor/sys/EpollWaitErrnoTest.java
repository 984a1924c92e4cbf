package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * epoll_wait is called without errno capture, and a failed wait is asked again at timeout 0 with
 * errno captured. These make the kernel fail it for real: EBADF and EINVAL (which stay true) must
 * come back as such from the blocking and the zero-timeout handle, and a blocking wait
 * interrupted by a signal (EINTR, which does not stay true) must still say EINTR when the retry
 * found nothing (the poller counts it and waits again: EpollPollerTest).
 */
@EnabledOnOs(OS.LINUX)
@EnabledIfSystemProperty(named = "os.arch", matches = "amd64|x86_64|aarch64")
class EpollWaitErrnoTest {
    private static final boolean X86 = !System.getProperty("os.arch").equals("aarch64");
    private static final long SYS_GETTID = X86 ? 186 : 178, SYS_TGKILL = X86 ? 234 : 131;
    private static final int SIGPIPE = 13;
    private static final MethodHandle SYSCALL = Native.downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    @Test
    @Timeout(10)
    void errnosThatStayTrueAreReportedFromBothHandles() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            MemorySegment events = a.allocate(Epoll.EVENT_SIZE * 4, 8);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            assertEquals(0, Unistd.pipe(cs, fds));
            int r = fds.getAtIndex(JAVA_INT, 0), w = fds.getAtIndex(JAVA_INT, 1);
            try {
                // A pipe is not an epoll fd: EINVAL.
                assertEquals(-Errno.EINVAL, Epoll.wait(cs, r, events, 4, 0), "timeout 0");
                assertEquals(-Errno.EINVAL, Epoll.wait(cs, r, events, 4, 50), "blocking");
            } finally {
                Unistd.close(cs, r);
                Unistd.close(cs, w);
            }
            // A closed fd: EBADF.
            assertEquals(-Errno.EBADF, Epoll.wait(cs, r, events, 4, 0), "timeout 0");
            assertEquals(-Errno.EBADF, Epoll.wait(cs, r, events, 4, 50), "blocking");
        }
    }

    @Test
    @Timeout(20)
    void aWaitInterruptedBySignalSaysEintr() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment cs = Native.callState(a);
            int ep = Epoll.create1(cs, Epoll.EPOLL_CLOEXEC);
            assertTrue(ep >= 0, "epoll_create1: " + ep);
            try {
                MemorySegment events = a.allocate(Epoll.EVENT_SIZE * 4, 8);
                CompletableFuture<Long> tid = new CompletableFuture<>();
                CompletableFuture<long[]> result = new CompletableFuture<>();
                Thread t = Thread.ofPlatform().start(() -> {
                    try (Arena own = Arena.ofConfined()) {
                        tid.complete((long) SYSCALL.invokeExact(SYS_GETTID, 0L, 0L, 0L));
                        long start = System.nanoTime();
                        int n = Epoll.wait(Native.callState(own), ep, events, 4, 15_000);
                        result.complete(new long[] {n, System.nanoTime() - start});
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
                long id = tid.get(5, TimeUnit.SECONDS);
                // Signal only once the thread sleeps in the kernel (its current syscall is a wait).
                Path syscallFile = Path.of("/proc/self/task/" + id + "/syscall");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!inEpollWait(syscallFile)) {
                    assertTrue(System.nanoTime() < deadline, "the thread never blocked in epoll_wait");
                    Thread.onSpinWait();
                }
                // HotSpot handles SIGPIPE (and ignores it), so the signal interrupts the wait.
                long pid = ProcessHandle.current().pid();
                assertEquals(0L, (long) SYSCALL.invokeExact(SYS_TGKILL, pid, id, (long) SIGPIPE));
                long[] r = result.get(10, TimeUnit.SECONDS);
                t.join();
                assertEquals(-Errno.EINTR, r[0], "EINTR, learned by the retry at timeout 0");
                assertTrue(r[1] < TimeUnit.SECONDS.toNanos(10), "the wait ended on the signal, not its timeout");
            } finally {
                Unistd.close(cs, ep);
            }
        } catch (Throwable e) {
            if (e instanceof Exception ex) throw ex;
            throw new AssertionError(e);
        }
    }

    private static boolean inEpollWait(Path syscallFile) {
        try {
            String nr = Files.readString(syscallFile).trim().split(" ")[0];
            // x86_64: epoll_wait 232, epoll_pwait 281; aarch64: epoll_pwait 22.
            return X86 ? nr.equals("232") || nr.equals("281") : nr.equals("22");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
