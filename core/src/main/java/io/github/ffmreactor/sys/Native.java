package io.github.ffmreactor.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The one place that owns the {@link Linker}, the symbol lookup and errno capture.
 *
 * <p>Every binding that can fail is linked with {@link #CAPTURE_ERRNO}: its method handle takes a
 * capture segment as first argument, into which the JVM stores {@code errno} (or, on Windows,
 * {@code WSAGetLastError()}) right after the call, before any other native code can clobber it.
 * A capture segment is allocated once per thread or per loop ({@link #callState}), never per call.
 */
public final class Native {
    private Native() {}

    public static final Linker LINKER = Linker.nativeLinker();

    private static final SymbolLookup LOOKUP = lookup();

    /** Captures errno on POSIX, and WSAGetLastError on Windows. */
    public static final Linker.Option CAPTURE_ERRNO =
            Linker.Option.captureCallState(Platform.CURRENT == Platform.WINDOWS ? "WSAGetLastError" : "errno");

    /**
     * For short calls that never block (non-blocking read/write, epoll_ctl, close of a socket...):
     * skips the Java-to-native thread state transition. Checked on JDK 25 to combine with errno
     * capture (see native-notes/ffm.md and NativeTest).
     */
    public static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle CAPTURED_ERRNO = CAPTURE_LAYOUT.varHandle(
            MemoryLayout.PathElement.groupElement(Platform.CURRENT == Platform.WINDOWS ? "WSAGetLastError" : "errno"));

    // Arena.ofAuto: the segment is freed by the GC once its thread has ended and the thread-local
    // value is unreachable. The global arena would keep one per thread forever, and every virtual
    // thread that calls wakeup() is a new thread.
    private static final ThreadLocal<MemorySegment> THREAD_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    private static SymbolLookup lookup() {
        SymbolLookup def = LINKER.defaultLookup();
        if (Platform.CURRENT == Platform.WINDOWS) {
            // Winsock lives in ws2_32.dll, SetHandleInformation in kernel32.dll; the JDK's default
            // lookup (the C runtime) covers neither. ws2_32 first: its socket calls, not the CRT's.
            SymbolLookup ws2 = SymbolLookup.libraryLookup("ws2_32", Arena.global());
            SymbolLookup k32 = SymbolLookup.libraryLookup("kernel32", Arena.global());
            return ws2.or(k32).or(def);
        }
        return def;
    }

    /** A fresh capture segment owned by {@code arena}; one per loop or per thread. */
    public static MemorySegment callState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The calling thread's capture segment, for calls off the hot path. Allocated once per thread, freed after it. */
    public static MemorySegment threadCallState() {
        return THREAD_STATE.get();
    }

    /** The errno stored by the last call that used {@code callState}. */
    public static int errno(MemorySegment callState) {
        return (int) CAPTURED_ERRNO.get(callState, 0L);
    }

    /** Stores {@code errno} into {@code callState}, as a failed call would (the fault seam's failures). */
    static void setErrno(MemorySegment callState, int errno) {
        CAPTURED_ERRNO.set(callState, 0L, errno);
    }

    /**
     * A downcall handle for a symbol that must exist on this OS. Package-private, with the other
     * handle factory: the bindings of this package are the only code that links native symbols,
     * so no caller gets native access through this module that the JVM did not grant it.
     */
    static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        return downcall(null, name, fd, options);
    }

    /** As {@link #downcall(String, FunctionDescriptor, Linker.Option...)}, from {@code in} (null: the OS's libraries). */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    static MethodHandle downcall(SymbolLookup in, String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment addr = (in == null ? LOOKUP : in).find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("native symbol not found: " + name));
        return LINKER.downcallHandle(addr, fd, options);
    }

    /**
     * A downcall handle, or null when the symbol is absent on this OS (for bindings of other OSes).
     * {@code in} null: the OS's own libraries; else the library it was loaded from.
     */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    static MethodHandle downcallOrNull(SymbolLookup in, String name, FunctionDescriptor fd, Linker.Option... options) {
        return (in == null ? LOOKUP : in).find(name).map(a -> LINKER.downcallHandle(a, fd, options)).orElse(null);
    }

    /**
     * The symbols of the shared library at {@code path}, loaded for the life of the JVM (a test aid:
     * libkqueue on Linux, see Kqueue). Throws IllegalArgumentException when it does not load.
     */
    @SuppressWarnings("restricted") // native access is sys's job: see package-info
    static SymbolLookup library(Path path) {
        return SymbolLookup.libraryLookup(path, Arena.global());
    }
}
