package io.github.ffmreactor.poll;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.FdCount;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A wait cut short by a signal (EINTR) is retried with the time left, not the whole timeout: under
 * a storm of real signals (every 20 ms, far more often than the 500 ms timeout) a timed wait still
 * ends on time. Retrying with the full timeout, it would not end until the storm did.
 */
@EnabledOnOs(OS.LINUX)
@EnabledIfSystemProperty(named = "os.arch", matches = "amd64|x86_64|aarch64")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SignalStormTest {
    private static final boolean X86 = !System.getProperty("os.arch").equals("aarch64");
    private static final long SYS_GETTID = X86 ? 186 : 178, SYS_TGKILL = X86 ? 234 : 131;
    // HotSpot installs a SIGPIPE handler that ignores it, so the signal only interrupts the wait.
    private static final long SIGPIPE = 13;
    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final int TIMEOUT_MS = 500;
    private static final long STORM_NS = TimeUnit.SECONDS.toNanos(6);

    static List<String> backends() {
        return Poller.available();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aTimedWaitEndsOnTimeUnderASignalStorm(String backend) throws Exception {
        int fdsBefore = FdCount.now();
        try (Poller p = Poller.open(backend)) {
            CompletableFuture<Long> tid = new CompletableFuture<>();
            CompletableFuture<long[]> result = new CompletableFuture<>();
            AtomicBoolean go = new AtomicBoolean();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    tid.complete(syscall(SYS_GETTID, 0, 0));
                    while (!go.get()) Thread.onSpinWait();
                    long start = System.nanoTime();
                    int n = p.poll(TIMEOUT_MS);
                    result.complete(new long[] {n, System.nanoTime() - start});
                } catch (Throwable e) {
                    tid.completeExceptionally(e);
                    result.completeExceptionally(e);
                }
            });
            long id = tid.get(5, TimeUnit.SECONDS);
            long pid = ProcessHandle.current().pid();
            go.set(true);
            long stormEnd = System.nanoTime() + STORM_NS;
            while (!result.isDone() && System.nanoTime() < stormEnd) {
                assertEquals(0L, tgkill(pid, id));
                Thread.sleep(20);
            }
            long[] r = result.get(10, TimeUnit.SECONDS);
            waiter.join();
            assertEquals(0, r[0], "no fd registered: the wait can only time out");
            long ms = TimeUnit.NANOSECONDS.toMillis(r[1]);
            assertTrue(ms >= TIMEOUT_MS - 1, "the wait ended early: " + ms + " ms");
            // Generous for a loaded 2-core machine, and far under the 6 s the storm lasts.
            assertTrue(ms < TIMEOUT_MS + 2_000, "the wait ran " + ms + " ms under signals, timeout " + TIMEOUT_MS);
            assertTrue(p.stats().interrupted() > 0, "the signals interrupted the wait: " + p.stats());
        }
        assertEquals(fdsBefore, FdCount.now(), "fds open before and after the test");
    }

    private static long syscall(long nr, long a, long b) throws Throwable {
        return (long) SYSCALL.invokeExact(nr, a, b, 0L);
    }

    private static long tgkill(long pid, long tid) {
        try {
            return (long) SYSCALL.invokeExact(SYS_TGKILL, pid, tid, SIGPIPE);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
