package io.github.ffmreactor.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one builder of every native binding: link options, errno capture, the {@link Faults} seam
 * and the typed call are set in one place, so a binding method is one line with no
 * {@code invokeExact} and no {@code try}.
 *
 * <p>How to write a binding:
 * <pre>{@code
 * private static final Fn.IntCIAI CONNECT = Bind.fn("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT)
 *         .errno().critical().fault(Faults.Call.CONNECT, 0).linkIf(POSIX, Fn.IntCIAI.class);
 *
 * public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
 *     return Bind.ret(cs, CONNECT.call(cs, fd, addr, len));
 * }
 * }</pre>
 * <ul>
 * <li>{@link #as}/{@link #linkIf(boolean, Class)}: the handle as an instance of an {@link Fn}
 * shape, whose method type must be exactly the handle's. Its {@code call} is the
 * {@code invokeExact} with the one {@code try/catch (Throwable)} Java requires, generated once
 * per shape by {@link MethodHandleProxies}; held in a {@code static final}, it inlines as the bare
 * {@code invokeExact} does (FfmCallBench). No {@code invokeExact} is written anywhere else in
 * {@code sys} (BindingsDeclaredOnceTest).</li>
 * <li>{@link #errno()}: the handle takes the capture segment first; {@link #ret} turns the C result
 * into the bindings' convention ({@code r}, or {@code -errno} when negative).</li>
 * <li>{@link #fault}: when the JVM runs with {@code -Dffmreactor.faults=true}, the handle asks
 * {@link Faults} first; a fired rule stores its errno in the capture segment and returns -1
 * without calling the kernel, exactly as the failing C call would, so {@link #ret} reports it.
 * {@code fdArg} is the index of the fd among the C arguments (0 = first C argument; the capture
 * segment is not counted); {@link #fault(Faults.Call)} matches rules for any fd. {@link #limit}
 * does the same for reads and writes and may shorten the length argument. Without the property
 * the seam is not in the handle at all.</li>
 * </ul>
 *
 * <p>Hot calls (read/write, epoll_ctl/wait, poll, select, kevent, recvmmsg/sendmmsg,
 * io_uring_enter) use no {@code fault()}: they check {@code Faults} in Java under
 * {@code if (Faults.ENABLED)} and keep the plain downcall handle. Any combinator between a hot
 * call and the downcall adapter (errno decoding as {@code collectArguments} +
 * {@code permuteArguments}, or the seam's guard) made C2 stop inlining the capture adapter on
 * the loop thread, which then allocates a 40 B capture-segment slice per call (LoopAllocationTest,
 * KvServerTest; native-notes/ffm.md). {@link #ret} is plain Java for the same reason.
 */
final class Bind {
    private final String name;
    private final FunctionDescriptor descriptor;
    private boolean errno, critical, optional;
    private int firstVariadic = -1;
    private Faults.Call faultCall;
    private int faultFd = -1, faultLen = -1;
    private SymbolLookup from;

    /** For {@link #fault(Faults.Call)}: the call has no fd argument; rules for any fd match. */
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

    /** Link from this library instead of the OS's own (null: the OS's; see Native#library). */
    Bind from(SymbolLookup library) {
        from = library;
        return this;
    }

    /** {@link #as} returns null when the symbol is absent on this OS instead of failing. */
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

    /**
     * The binding as {@code shape}, or null when {@code cond} is false (a binding for another OS).
     * The shape is checked against the descriptor either way, so a Winsock or kqueue binding
     * declared with the wrong shape fails on Linux too, when its class initialises.
     */
    <T> T linkIf(boolean cond, Class<T> shape) {
        check(shape, errno ? descriptor.toMethodType().insertParameterTypes(0, MemorySegment.class)
                : descriptor.toMethodType());
        declare(WALKER.getCallerClass());
        return cond ? typed(shape, linkNow()) : null;
    }

    /** The binding as {@code shape} (null for an {@link #optional()} symbol that is absent). */
    <T> T as(Class<T> shape) {
        declare(WALKER.getCallerClass());
        return typed(shape, linkNow());
    }

    /**
     * {@code h} as an instance of {@code shape}, an {@link Fn} interface whose one method has
     * exactly {@code h}'s type (null for a null handle). The instance's method is
     * {@code try { return h.invokeExact(..); } catch (Error | RuntimeException e) { throw e; }}, and
     * wraps any other throwable (a downcall throws none) in an UndeclaredThrowableException.
     */
    static <T> T typed(Class<T> shape, MethodHandle h) {
        if (h == null) return null;
        check(shape, h.type());
        return MethodHandleProxies.asInterfaceInstance(shape, h);
    }

    /** Fails unless {@code shape} is a one-method interface whose method type is exactly {@code type}. */
    private static void check(Class<?> shape, MethodType type) {
        Method[] ms = shape.getMethods();
        if (!shape.isInterface() || ms.length != 1) throw new IllegalArgumentException("not a one-method shape: " + shape);
        MethodType want = MethodType.methodType(ms[0].getReturnType(), ms[0].getParameterTypes());
        if (!want.equals(type)) {
            throw new IllegalArgumentException(shape.getSimpleName() + " is " + want + ", the binding is " + type);
        }
    }

    // ---- what was declared, for the notes ----------------------------------------------------

    /**
     * How a binding is linked, as the tables in native-notes state it: the class that declares it,
     * the C symbol, errno capture, critical. Noted when its class initialises, also for another
     * OS's bindings (which are not linked), so a test can compare every table with the code.
     */
    record Declared(String owner, String symbol, boolean errno, boolean critical) {}

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final Set<Declared> DECLARED = ConcurrentHashMap.newKeySet();

    private void declare(Class<?> owner) {
        DECLARED.add(new Declared(owner.getSimpleName(), name, errno, critical));
    }

    /** Every binding declared so far by the classes initialised in this JVM. */
    static Set<Declared> declared() {
        return Set.copyOf(DECLARED);
    }

    private MethodHandle linkNow() {
        FunctionDescriptor fd = descriptor;
        List<Linker.Option> opts = new ArrayList<>(3);
        if (errno) opts.add(Native.CAPTURE_ERRNO);
        if (critical) opts.add(Native.CRITICAL);
        if (firstVariadic >= 0) opts.add(Linker.Option.firstVariadicArg(firstVariadic));
        Linker.Option[] o = opts.toArray(Linker.Option[]::new);
        MethodHandle h = optional ? Native.downcallOrNull(from, name, fd, o) : Native.downcall(from, name, fd, o);
        if (h == null) return null;
        int shift = errno ? 1 : 0;
        if (faultCall != null) {
            if (!errno) throw new IllegalArgumentException(name + ": a fault rule needs errno()");
            h = faultLen >= 0 ? seam(h, faultCall, faultFd + shift, faultLen + shift)
                    : seam(h, faultCall, faultFd == NO_FD ? NO_FD : faultFd + shift, -1);
        }
        return h;
    }

    // ---- combinators -------------------------------------------------------------------------

    private static final MethodHandles.Lookup L = MethodHandles.lookup();
    private static final MethodHandle CHECK, IS_NEG, ARMED, FAIL_CAPTURED;

    static {
        try {
            CHECK = L.findStatic(Faults.class, "check",
                    MethodType.methodType(long.class, Faults.Call.class, int.class, long.class));
            IS_NEG = L.findStatic(Bind.class, "isNeg", MethodType.methodType(boolean.class, long.class));
            ARMED = L.findStatic(Faults.class, "armed", MethodType.methodType(boolean.class));
            FAIL_CAPTURED = L.findStatic(Bind.class, "failCaptured", MethodType.methodType(long.class, long.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A capturing call's C result as the bindings return it: {@code r}, or {@code -errno} when negative. */
    static int ret(MemorySegment cs, int r) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    /** As {@link #ret(MemorySegment, int)} for long results. */
    static long ret(MemorySegment cs, long r) {
        return r < 0 ? -Native.errno(cs) : r;
    }

    /** A fired rule on a capturing downcall: errno into the capture segment, and the C failure result -1. */
    @SuppressWarnings("UnusedMethod") // called through FAIL_CAPTURED (findStatic)
    private static long failCaptured(long f, MemorySegment cs) {
        Native.setErrno(cs, (int) -f);
        return -1;
    }

    @SuppressWarnings("UnusedMethod") // called through IS_NEG (findStatic)
    private static boolean isNeg(long r) {
        return r < 0;
    }

    /**
     * The seam around a capturing downcall: {@code f = Faults.check(call, fd, len)}; {@code f < 0}
     * fires (errno stored in the capture segment at parameter 0 and -1 returned, as the C call
     * fails); else {@code h} runs, with the length at {@code lenParam} (if {@code >= 0}, a long)
     * replaced by {@code f}. Identity when faults are off.
     */
    private static MethodHandle seam(MethodHandle h, Faults.Call call, int fdParam, int lenParam) {
        if (!Faults.ENABLED) return h;
        MethodType t = h.type();
        MethodType withF = t.insertParameterTypes(0, long.class);
        MethodHandle combiner;
        if (fdParam == NO_FD) {
            combiner = MethodHandles.dropArguments(MethodHandles.insertArguments(CHECK, 0, call, Faults.ANY_FD, 0L),
                    0, t.parameterList());
        } else if (lenParam < 0) {
            MethodHandle check = MethodHandles.insertArguments(CHECK, 0, call);
            check = MethodHandles.insertArguments(check, 1, 0L);
            check = MethodHandles.explicitCastArguments(check, MethodType.methodType(long.class, t.parameterType(fdParam)));
            combiner = MethodHandles.permuteArguments(check, t.changeReturnType(long.class), fdParam);
        } else {
            if (t.parameterType(lenParam) != long.class) throw new IllegalArgumentException("length must be a long: " + t);
            MethodHandle check = MethodHandles.insertArguments(CHECK, 0, call);
            check = MethodHandles.explicitCastArguments(check,
                    MethodType.methodType(long.class, t.parameterType(fdParam), long.class));
            combiner = MethodHandles.permuteArguments(check, t.changeReturnType(long.class), fdParam, lenParam);
        }
        MethodHandle f = MethodHandles.explicitCastArguments(FAIL_CAPTURED,
                MethodType.methodType(t.returnType(), long.class, MemorySegment.class));
        MethodHandle fired = MethodHandles.permuteArguments(f, withF.changeReturnType(t.returnType()), 0, 1);
        MethodHandle go;
        if (lenParam >= 0) {
            int n = t.parameterCount();
            int[] reorder = new int[n];
            for (int i = 0; i < n; i++) reorder[i] = i == lenParam ? 0 : i + 1;
            go = MethodHandles.permuteArguments(h, withF.changeReturnType(t.returnType()), reorder);
        } else {
            go = MethodHandles.dropArguments(h, 0, long.class);
        }
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
}
