package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Bind#as}: a binding becomes an instance of its {@link Fn} shape only when the shape's
 * method type is exactly the handle's; the call reaches the C function; an exception the
 * downcall throws comes out as it is, not wrapped.
 */
class BindTypedShapeTest {
    @Test
    @Timeout(10)
    void aShapeCallsTheFunction() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        Fn.IntV getpid = Bind.fn("getpid", JAVA_INT).as(Fn.IntV.class);
        assertEquals(ProcessHandle.current().pid(), getpid.call());
        Fn.IntCI close = Bind.fn("close", JAVA_INT, JAVA_INT).errno().as(Fn.IntCI.class);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(a);
            assertEquals(-Errno.EBADF, Bind.ret(cs, close.call(cs, -1)));
        }
    }

    @Test
    @Timeout(10)
    void aShapeOfAnotherTypeIsRefused() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        // getpid with errno capture takes the capture segment: IntC, not IntV.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bind.fn("getpid", JAVA_INT).errno().as(Fn.IntV.class));
        assertTrue(e.getMessage().contains("IntV"), e.getMessage());
        // An int where the shape says long would be converted silently by asType: refused instead.
        assertThrows(IllegalArgumentException.class,
                () -> Bind.fn("close", JAVA_INT, JAVA_INT).errno().as(Fn.IntCJ.class));
    }

    /** A binding for another OS is not linked, but its shape is still checked (Winsock's, on Linux). */
    @Test
    @Timeout(10)
    void aShapeIsCheckedWhereTheBindingIsNotLinked() {
        assertThrows(IllegalArgumentException.class,
                () -> Bind.fn("no_such_function_ffmreactor", JAVA_INT).errno().linkIf(false, Fn.IntV.class));
        assertNull(Bind.fn("no_such_function_ffmreactor", JAVA_INT).errno().linkIf(false, Fn.IntC.class));
        // Every binding class initialises here, so each shape is checked against its descriptor,
        // those of other OSes (Winsock, kqueue, the other nfds_t width of poll) included.
        for (Class<?> c : new Class<?>[] {Unistd.class, Sockets.class, Epoll.class, EventFd.class, Kqueue.class, Poll.class,
                Select.class, Mmsg.class, IoUring.class, Winsock.class, Errno.class}) {
            assertDoesNotThrow(() -> Class.forName(c.getName(), true, c.getClassLoader()), c.getSimpleName());
        }
    }

    @Test
    @Timeout(10)
    void anOptionalAbsentSymbolOrAnotherOsIsNull() {
        assertNull(Bind.fn("no_such_function_ffmreactor", JAVA_INT).optional().as(Fn.IntV.class));
        assertNull(Bind.fn("getpid", JAVA_INT).linkIf(false, Fn.IntV.class));
    }

    @Test
    @Timeout(10)
    void theDowncallsOwnExceptionComesOutUnwrapped() {
        assumeTrue(Platform.CURRENT != Platform.WINDOWS);
        // A NULL capture segment is refused by the downcall itself, inside the shape's call.
        assertThrows(IllegalArgumentException.class, () -> Unistd.close(MemorySegment.NULL, -1));
    }
}
