package io.github.ffmreactor.sys;

import java.lang.foreign.MemorySegment;

/**
 * The typed shapes a native binding is called through: {@link Bind#as} turns a downcall handle
 * into an instance of one of these, so a binding calls {@code SOCKET.call(cs, domain, type, 0)}
 * instead of {@code invokeExact} inside its own {@code try/catch (Throwable)}.
 *
 * <p>The instance comes from {@link java.lang.invoke.MethodHandleProxies}: one small hidden class
 * per shape, whose {@code call} is {@code try { return target.invokeExact(..); }} with the
 * {@code catch} the Java language asks for, written once by the JDK. Held in a {@code static final}
 * field, the instance is a constant to C2, its {@code target} a trusted final field of a hidden
 * class, so {@code call} inlines down to the downcall as a bare {@code invokeExact} does
 * (FfmCallBench, ZeroAllocationTest; native-notes/ffm.md "How a binding is declared").
 *
 * <p>Names spell the return type and then each parameter: {@code C} the capture segment
 * (errno, always first), {@code A} a pointer passed as a segment, {@code I} int, {@code J} long,
 * {@code S} short; {@code V} no parameter. {@code IntCIAI} is
 * {@code int call(MemorySegment cs, int, MemorySegment, int)}. {@link Bind#as} refuses a shape
 * whose method type is not exactly the handle's, so no conversion is ever inserted.
 */
public final class Fn {
    private Fn() {}

    // ---- int results ------------------------------------------------------------------------
    public interface IntV { int call(); }
    public interface IntC { int call(MemorySegment cs); }
    public interface IntCA { int call(MemorySegment cs, MemorySegment a); }
    public interface IntCI { int call(MemorySegment cs, int a); }
    public interface IntCII { int call(MemorySegment cs, int a, int b); }
    public interface IntCIII { int call(MemorySegment cs, int a, int b, int c); }
    public interface IntCIAI { int call(MemorySegment cs, int a, MemorySegment b, int c); }
    public interface IntCIAA { int call(MemorySegment cs, int a, MemorySegment b, MemorySegment c); }
    public interface IntCIAAI { int call(MemorySegment cs, int a, MemorySegment b, MemorySegment c, int d); }
    public interface IntCIIIA { int call(MemorySegment cs, int a, int b, int c, MemorySegment d); }
    public interface IntCIIIAI { int call(MemorySegment cs, int a, int b, int c, MemorySegment d, int e); }
    public interface IntCIIIAA { int call(MemorySegment cs, int a, int b, int c, MemorySegment d, MemorySegment e); }
    public interface IntIJII { int call(int a, long b, int c, int d); }
    public interface IntCIJII { int call(MemorySegment cs, int a, long b, int c, int d); }
    public interface IntCIJIIA { int call(MemorySegment cs, int a, long b, int c, int d, MemorySegment e); }
    public interface IntCIJJJJ { int call(MemorySegment cs, int a, long b, long c, long d, long e); }
    public interface IntCIAIAIA {
        int call(MemorySegment cs, int a, MemorySegment b, int c, MemorySegment d, int e, MemorySegment f);
    }
    public interface IntIAIAIA {
        int call(int a, MemorySegment b, int c, MemorySegment d, int e, MemorySegment f);
    }
    public interface IntCAII { int call(MemorySegment cs, MemorySegment a, int b, int c); }
    public interface IntCAJI { int call(MemorySegment cs, MemorySegment a, long b, int c); }
    public interface IntCJJ { int call(MemorySegment cs, long a, long b); }
    public interface IntCIAAAA {
        int call(MemorySegment cs, int a, MemorySegment b, MemorySegment c, MemorySegment d, MemorySegment e);
    }
    // Winsock: a SOCKET is a 64-bit handle (J) where POSIX has an int fd.
    public interface IntSA { int call(short a, MemorySegment b); }
    public interface IntJII { int call(long a, int b, int c); }
    public interface IntJJI { int call(long a, long b, int c); }
    public interface IntCJ { int call(MemorySegment cs, long a); }
    public interface IntCJI { int call(MemorySegment cs, long a, int b); }
    public interface IntCJIA { int call(MemorySegment cs, long a, int b, MemorySegment c); }
    public interface IntCJAI { int call(MemorySegment cs, long a, MemorySegment b, int c); }
    public interface IntCJAA { int call(MemorySegment cs, long a, MemorySegment b, MemorySegment c); }
    public interface IntCJAII { int call(MemorySegment cs, long a, MemorySegment b, int c, int d); }
    public interface IntCJJII { int call(MemorySegment cs, long a, long b, int c, int d); }
    public interface IntCJIIAI { int call(MemorySegment cs, long a, int b, int c, MemorySegment d, int e); }
    public interface IntCJIIAA { int call(MemorySegment cs, long a, int b, int c, MemorySegment d, MemorySegment e); }
    public interface IntCJJIIAI { int call(MemorySegment cs, long a, long b, int c, int d, MemorySegment e, int f); }
    public interface IntCJJIIAA {
        int call(MemorySegment cs, long a, long b, int c, int d, MemorySegment e, MemorySegment f);
    }

    // ---- long results -----------------------------------------------------------------------
    public interface LongJJJJ { long call(long a, long b, long c, long d); }
    public interface LongCIJJ { long call(MemorySegment cs, int a, long b, long c); }
    public interface LongCJJJ { long call(MemorySegment cs, long a, long b, long c); }
    public interface LongCJJJJ { long call(MemorySegment cs, long a, long b, long c, long d); }
    public interface LongCJJJJJ { long call(MemorySegment cs, long a, long b, long c, long d, long e); }
    public interface LongJJJJJJJ { long call(long a, long b, long c, long d, long e, long f, long g); }
    public interface LongCJJJJJJJ {
        long call(MemorySegment cs, long a, long b, long c, long d, long e, long f, long g);
    }
    public interface LongCJJIIIJ { long call(MemorySegment cs, long a, long b, int c, int d, int e, long f); }
    public interface LongCIAJIAI {
        long call(MemorySegment cs, int a, MemorySegment b, long c, int d, MemorySegment e, int f);
    }
    public interface LongCIAJIAA {
        long call(MemorySegment cs, int a, MemorySegment b, long c, int d, MemorySegment e, MemorySegment f);
    }
    public interface LongIJJIAI { long call(int a, long b, long c, int d, MemorySegment e, int f); }
    public interface LongCIJJIAI { long call(MemorySegment cs, int a, long b, long c, int d, MemorySegment e, int f); }
    public interface LongCIJJIAA {
        long call(MemorySegment cs, int a, long b, long c, int d, MemorySegment e, MemorySegment f);
    }
    public interface LongCIIIAII { long call(MemorySegment cs, int a, int b, int c, MemorySegment d, int e, int f); }
    public interface LongCJAA { long call(MemorySegment cs, long a, MemorySegment b, MemorySegment c); }

    // ---- no result --------------------------------------------------------------------------
    public interface VoidV { void call(); }

    // ---- pointer results --------------------------------------------------------------------
    public interface AddrI { MemorySegment call(int a); }
}
