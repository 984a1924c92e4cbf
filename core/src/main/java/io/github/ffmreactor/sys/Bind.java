package io.github.ffmreactor.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * The one builder of every native binding's {@link MethodHandle}: link options, errno decoding and
 * the {@link Faults} seam are folded into the handle with {@link MethodHandles} combinators, so a
 * binding method is just its {@code invokeExact}.
 *
 * <p>How to write a binding (io_uring, recvmmsg... new files adopt it the same way):
 * <pre>{@code
 * private static final MethodHandle CTL = Bind.fn("epoll_ctl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS)
 *         .errno().critical().fault(Faults.Call.CTL, 2).linkIf(LINUX);
 *
 * public static int ctl(MemorySegment cs, int epfd, int op, int fd, MemorySegment ev) {
 *     try { return (int) CTL.invokeExact(cs, epfd, op, fd, ev); }
 *     catch (Throwable t) { throw Bind.rethrow(t); }
 * }
 * }</pre>
 * <ul>
 * <li>{@link #errno()}: the handle takes the capture segment first, and returns the C result when
 * it is {@code >= 0} and {@code -errno} when it is negative (int or long results).</li>
 * <li>{@link #fault}: when the JVM runs with {@code -Dffmreactor.faults=true}, the handle asks
 * {@link Faults} first and returns {@code -errno} without calling the kernel if a rule fires.
 * {@code fdArg} is the index of the fd among the C arguments (0 = first C argument; the capture
 * segment is not counted). {@link #limit} does the same for reads and writes and may shorten the
 * length argument. Without the property the seam is not in the handle at all.</li>
 * <li>Fault rules can wrap any handle, not only downcalls: {@link #fault(MethodHandle, Faults.Call, int)}
 * for a composite Java method (see Epoll's wait, which retries to learn errno).</li>
 * </ul>
 *
 * <p>Cost: the result is still one {@code static final} handle of exact primitive types, so C2
 * inlines the whole tree (downcall, {@code r < 0} test, errno read) into the caller: no boxing,
 * no varargs, no allocation per call (ZeroAllocationTest; FfmCallBench measures it against the
 * hand-written form). The {@code try/catch} at the call site stays only because
 * {@code invokeExact} is declared {@code throws Throwable}.
 */
final class Bind {
    private final String name;
    private final FunctionDescriptor descriptor;
    private boolean errno, critical, optional;
    private int firstVariadic = -1;
    private Faults.Call faultCall;
    private int faultFd = -1, faultLen = -1;

    /** For {@link #fault(MethodHandle, Faults.Call, int)}: the call has no fd argument; rules for any fd match. */
    static final int NO_FD = -1;

    private Bind(String name, FunctionDescriptor descriptor) {
        this.name = name;
        this.descriptor = descriptor;
    }

    /** A binding of C function {@code name} returning {@code ret} ({@code null}: void). */
    static Bind fn(String name, MemoryLayout ret, MemoryLayout... args) {
        return new Bind(name, ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args));
    }

    /** A binding of C function {@code name} with a descriptor built elsewhere (Winsock's table). */
    static Bind of(String name, FunctionDescriptor descriptor) {
        return new Bind(name, descriptor);
    }

    /** Capture errno; return {@code r} or {@code -errno}. The handle gets the capture segment as first argument. */
    Bind errno() {
        errno = true;
        return this;
    }

    /** Link with {@link Native#CRITICAL}: only for calls that never block. */
    Bind critical() {
        critical = true;
        return this;
    }

    /** A variadic C function whose variadic arguments start at C argument {@code index}. */
    Bind variadicFrom(int index) {
        firstVariadic = index;
        return this;
    }

    /** {@link #link()} returns null when the symbol is absent on this OS instead of failing. */
    Bind optional() {
        optional = true;
        return this;
    }

    /** Let {@link Faults} fail calls of {@code call} on the fd at C argument {@code fdArg}. */
    Bind fault(Faults.Call call, int fdArg) {
        faultCall = call;
        faultFd = fdArg;
        return this;
    }

    /** Let {@link Faults} fail calls of {@code call} whatever their fd (a wait over many fds: poll, select). */
    Bind fault(Faults.Call call) {
        faultCall = call;
        faultFd = NO_FD;
        return this;
    }

    /** As {@link #fault}, and also let a rule shorten the (long) length at C argument {@code lenArg}. */
    Bind limit(Faults.Call call, int fdArg, int lenArg) {
        fault(call, fdArg);
        faultLen = lenArg;
        return this;
    }

    /** The handle, or null when {@code cond} is false (a binding for another OS). */
    MethodHandle linkIf(boolean cond) {
        return cond ? link() : null;
    }

    /** The handle. */
    MethodHandle link() {
        FunctionDescriptor fd = descriptor;
        List<Linker.Option> opts = new ArrayList<>(3);
        if (errno) opts.add(Native.CAPTURE_ERRNO);
        if (critical) opts.add(Native.CRITICAL);
        if (firstVariadic >= 0) opts.add(Linker.Option.firstVariadicArg(firstVariadic));
        Linker.Option[] o = opts.toArray(Linker.Option[]::new);
        MethodHandle h = optional ? Native.downcallOrNull(name, fd, o) : Native.downcall(name, fd, o);
        if (h == null) return null;
        if (errno) h = withErrno(h);
        int shift = errno ? 1 : 0;
        if (faultCall != null) {
            h = faultLen >= 0 ? limit(h, faultCall, faultFd + shift, faultLen + shift)
                    : fault(h, faultCall, faultFd == NO_FD ? NO_FD : faultFd + shift);
        }
        return h;
    }

    // ---- combinators -------------------------------------------------------------------------

    private static final MethodHandles.Lookup L = MethodHandles.lookup();
    private static final MethodHandle ERRNO_INT, ERRNO_LONG, CHECK, IS_NEG, ARMED;

    static {
        try {
            ERRNO_INT = L.findStatic(Bind.class, "errnoInt", MethodType.methodType(int.class, int.class, MemorySegment.class));
            ERRNO_LONG = L.findStatic(Bind.class, "errnoLong", MethodType.methodType(long.class, long.class, MemorySegment.class));
            CHECK = L.findStatic(Faults.class, "check",
                    MethodType.methodType(long.class, Faults.Call.class, int.class, long.class));
            IS_NEG = L.findStatic(Bind.class, "isNeg", MethodType.methodType(boolean.class, long.class));
            ARMED = L.findStatic(Faults.class, "armed", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static int errnoInt(int r, MemorySegment cs) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    private static long errnoLong(long r, MemorySegment cs) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    private static boolean isNeg(long r) {
        return r < 0;
    }

    /** (cs, a...) -> r  becomes  (cs, a...) -> r < 0 ? -errno(cs) : r. */
    static MethodHandle withErrno(MethodHandle h) {
        MethodType t = h.type();
        if (t.parameterCount() == 0 || t.parameterType(0) != MemorySegment.class) {
            throw new IllegalArgumentException("errno needs the capture segment first: " + t);
        }
        MethodHandle filter;
        if (t.returnType() == int.class) filter = ERRNO_INT;
        else if (t.returnType() == long.class) filter = ERRNO_LONG;
        else throw new IllegalArgumentException("errno needs an int or long result: " + t);
        MethodHandle twoCs = MethodHandles.collectArguments(filter, 0, h); // (cs, a..., cs) -> r
        int n = t.parameterCount();
        int[] reorder = new int[n + 1];
        for (int i = 0; i < n; i++) reorder[i] = i;
        reorder[n] = 0;
        return MethodHandles.permuteArguments(twoCs, t, reorder);
    }

    /**
     * Folds the fault seam into {@code h} (fd at parameter {@code fdParam}, counting every
     * parameter of {@code h}; {@link #NO_FD}: none): a fired rule returns {@code -errno}. Identity when faults are off.
     */
    static MethodHandle fault(MethodHandle h, Faults.Call call, int fdParam) {
        if (!Faults.ENABLED) return h;
        MethodType t = h.type();
        // (a...) -> check(call, a[fdParam] or ANY_FD, 0)
        MethodHandle combiner;
        if (fdParam == NO_FD) {
            MethodHandle check = MethodHandles.insertArguments(CHECK, 0, call, Faults.ANY_FD, 0L);
            combiner = MethodHandles.dropArguments(check, 0, t.parameterList());
        } else {
            MethodHandle check = MethodHandles.insertArguments(CHECK, 0, call);
            check = MethodHandles.insertArguments(check, 1, 0L);
            check = MethodHandles.explicitCastArguments(check, MethodType.methodType(long.class, t.parameterType(fdParam)));
            combiner = MethodHandles.permuteArguments(check, t.changeReturnType(long.class), fdParam);
        }
        // (f, a...) -> f < 0 ? (R) f : h(a...)
        MethodHandle fired = MethodHandles.dropArguments(
                MethodHandles.explicitCastArguments(MethodHandles.identity(long.class),
                        MethodType.methodType(t.returnType(), long.class)),
                1, t.parameterList());
        MethodHandle go = MethodHandles.dropArguments(h, 0, long.class);
        MethodHandle test = MethodHandles.dropArguments(IS_NEG, 1, t.parameterList());
        return unlessArmed(h, MethodHandles.foldArguments(MethodHandles.guardWithTest(test, fired, go), combiner));
    }

    /** As {@link #fault}, and a rule may shorten the long length at parameter {@code lenParam}. */
    static MethodHandle limit(MethodHandle h, Faults.Call call, int fdParam, int lenParam) {
        if (!Faults.ENABLED) return h;
        MethodType t = h.type();
        if (t.parameterType(lenParam) != long.class) throw new IllegalArgumentException("length must be a long: " + t);
        // (fd, len) -> check(call, fd, len)
        MethodHandle check = MethodHandles.insertArguments(CHECK, 0, call);
        check = MethodHandles.explicitCastArguments(check,
                MethodType.methodType(long.class, t.parameterType(fdParam), long.class));
        MethodHandle combiner = MethodHandles.permuteArguments(check, t.changeReturnType(long.class), fdParam, lenParam);
        MethodHandle fired = MethodHandles.dropArguments(
                MethodHandles.explicitCastArguments(MethodHandles.identity(long.class),
                        MethodType.methodType(t.returnType(), long.class)),
                1, t.parameterList());
        // (f, a...) -> h(a... with a[lenParam] = f)
        int n = t.parameterCount();
        int[] reorder = new int[n];
        for (int i = 0; i < n; i++) reorder[i] = i == lenParam ? 0 : i + 1;
        MethodHandle go = MethodHandles.permuteArguments(h, t.insertParameterTypes(0, long.class), reorder);
        MethodHandle test = MethodHandles.dropArguments(IS_NEG, 1, t.parameterList());
        return unlessArmed(h, MethodHandles.foldArguments(MethodHandles.guardWithTest(test, fired, go), combiner));
    }

    /**
     * {@code Faults.armed() ? seam : h}: while no rule is armed (every run but a fault test) the
     * compiled path is one guard deep over {@code h}, the seam's branch never taken and not
     * inlined, so the tree keeps C2's inlining depth for the downcall adapter (a capture adapter
     * C2 does not inline allocates 40 B per call, native-notes/ffm.md).
     */
    private static MethodHandle unlessArmed(MethodHandle h, MethodHandle seam) {
        return MethodHandles.guardWithTest(MethodHandles.dropArguments(ARMED, 0, h.type().parameterList()), seam, h);
    }

    /** A static method of a binding class as a handle, to fold the fault seam around a composite call. */
    static MethodHandle method(MethodHandles.Lookup lookup, Class<?> owner, String name, MethodType type) {
        try {
            return lookup.findStatic(owner, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What a binding's {@code catch (Throwable t)} throws: runtime exceptions and errors as they are. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) return re;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
