package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;
import io.github.ffmreactor.NativeException;

class NativeTest {
    /**
     * JDK 21 refused Linker.Option.critical together with captureCallState ("trivial" calls could not
     * capture state); JDK 22+ accepts the combination. This is the check native-notes/ffm.md cites.
     */
    @Test
    void criticalCombinesWithErrnoCaptureOnThisJdk() throws Throwable {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        MethodHandle close = Native.downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                Native.CAPTURE_ERRNO, Native.CRITICAL);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            int r = (int) close.invokeExact(cs, -1);
            assertEquals(-1, r);
            assertEquals(Errno.EBADF, Native.errno(cs));
        }
    }

    @Test
    void bindingsReturnMinusErrno() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(16);
            assertEquals(-Errno.EBADF, Unistd.read(Native.threadCallState(), -1, buf, 0, 16));
            assertEquals(-Errno.EBADF, Unistd.write(Native.threadCallState(), 1_000_000, buf, 0, 16));
        }
    }

    @Test
    void offsetsAreBoundsChecked() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(16);
            assertThrows(IndexOutOfBoundsException.class, () -> Unistd.read(Native.threadCallState(), 0, buf, 8, 9));
            assertThrows(IllegalArgumentException.class,
                    () -> Unistd.write(Native.threadCallState(), 1, MemorySegment.ofArray(new byte[4]), 0, 4));
        }
        MemorySegment dead;
        try (Arena a = Arena.ofConfined()) {
            dead = a.allocate(16);
        }
        assertThrows(IllegalStateException.class, () -> Unistd.read(Native.threadCallState(), 0, dead, 0, 16));
    }

    @Test
    void exceptionNamesCallAndErrno() throws NativeException {
        NativeException e = Errno.exception("accept4", Errno.EMFILE);
        assertEquals("accept4: EMFILE (Too many open files)", e.getMessage());
        assertEquals("EMFILE", e.errnoName());
        NativeException c = assertThrows(NativeException.class, () -> Errno.check("close", -Errno.EBADF));
        assertEquals("close", c.call());
        assertEquals(Errno.EBADF, c.errno());
        assertEquals(5, Errno.check("x", 5));
    }

    @Test
    void errnoTablesKnowTheirNumbers() {
        assertEquals(11, Errno.LINUX.get("EAGAIN"));
        assertEquals(35, Errno.BSD.get("EAGAIN"));
        assertEquals(10035, Errno.WINSOCK.get("EAGAIN"));
        assertEquals(115, Errno.LINUX.get("EINPROGRESS"));
        assertEquals(36, Errno.BSD.get("EINPROGRESS"));
        assertEquals(98, Errno.LINUX.get("EADDRINUSE"));
        assertEquals(48, Errno.BSD.get("EADDRINUSE"));
        assertEquals("EAGAIN", Errno.name(Errno.EAGAIN));
        assertTrue(Errno.name(987654).contains("987654"));
        // Every table maps distinct names to distinct numbers: the reverse lookup is unambiguous.
        for (var t : java.util.List.of(Errno.LINUX, Errno.BSD, Errno.WINSOCK)) {
            assertEquals(t.size(), new java.util.HashSet<>(t.values()).size());
        }
    }

    @Test
    void getpidMatchesTheJvm() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        assertEquals(ProcessHandle.current().pid(), Unistd.getpid());
        assertEquals(ProcessHandle.current().pid(), Unistd.getpidCritical());
    }
}
