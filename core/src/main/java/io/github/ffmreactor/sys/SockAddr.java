package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code struct sockaddr_in} (16 bytes) and {@code struct sockaddr_in6} (28 bytes) encoding.
 *
 * <p>Linux and Windows start with a 16-bit {@code sa_family}; the BSDs start with a one-byte
 * {@code sin_len} followed by a one-byte family. Port and address are in network byte order.
 */
public final class SockAddr {
    private SockAddr() {}

    public static final int SIZEOF_IN = 16, SIZEOF_IN6 = 28;
    /** Large enough for any address this project uses (sockaddr_storage is 128 on every OS). */
    public static final int SIZEOF_STORAGE = 128;

    private static final ValueLayout.OfShort NET_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    /** Writes a sockaddr_in or sockaddr_in6 for {@code addr} (4 or 16 bytes); returns its length. */
    public static int encode(SocketConsts c, MemorySegment out, byte[] addr, int port, int scopeId) {
        out.asSlice(0, addr.length == 4 ? SIZEOF_IN : SIZEOF_IN6).fill((byte) 0);
        int family = addr.length == 4 ? c.AF_INET() : c.AF_INET6();
        int len = addr.length == 4 ? SIZEOF_IN : SIZEOF_IN6;
        if (c.sinLen()) {
            out.set(JAVA_BYTE, 0, (byte) len);
            out.set(JAVA_BYTE, 1, (byte) family);
        } else {
            out.set(JAVA_SHORT, 0, (short) family);
        }
        out.set(NET_SHORT, 2, (short) port);
        if (addr.length == 4) {
            MemorySegment.copy(addr, 0, out, JAVA_BYTE, 4, 4);
        } else {
            // sin6_flowinfo at 4 stays 0; sin6_addr at 8; sin6_scope_id at 24 (host order).
            MemorySegment.copy(addr, 0, out, JAVA_BYTE, 8, 16);
            out.set(JAVA_INT, 24, scopeId);
        }
        return len;
    }

    /** The address family stored in {@code in}. */
    public static int family(SocketConsts c, MemorySegment in) {
        return c.sinLen() ? Byte.toUnsignedInt(in.get(JAVA_BYTE, 1)) : Short.toUnsignedInt(in.get(JAVA_SHORT, 0));
    }

    /** The port stored in {@code in} (same offset in both families). */
    public static int port(MemorySegment in) {
        return Short.toUnsignedInt(in.get(NET_SHORT, 2));
    }

    /** The raw address bytes stored in {@code in}: 4 for AF_INET, 16 for AF_INET6. */
    public static byte[] address(SocketConsts c, MemorySegment in) {
        int family = family(c, in);
        if (family == c.AF_INET()) {
            byte[] a = new byte[4];
            MemorySegment.copy(in, JAVA_BYTE, 4, a, 0, 4);
            return a;
        }
        if (family == c.AF_INET6()) {
            byte[] a = new byte[16];
            MemorySegment.copy(in, JAVA_BYTE, 8, a, 0, 16);
            return a;
        }
        throw new IllegalArgumentException("not an inet address family: " + family);
    }

    public static int scopeId(MemorySegment in) {
        return in.get(JAVA_INT, 24);
    }

    /**
     * {@code sun_path} capacity: 108 bytes on Linux, 104 on macOS and FreeBSD (whose sockaddr_un
     * also starts with a one-byte {@code sun_len}). The path must leave room for its NUL.
     */
    public static int sunPathSize(SocketConsts c) {
        return c.sinLen() ? 104 : 108;
    }

    /** Writes a {@code struct sockaddr_un} for {@code path} (UTF-8 bytes); returns its length. */
    public static int encodeUnix(SocketConsts c, MemorySegment out, byte[] path) {
        if (path.length == 0 || path.length >= sunPathSize(c)) {
            throw new IllegalArgumentException("unix socket path must be 1.." + (sunPathSize(c) - 1)
                    + " bytes, got " + path.length);
        }
        int size = 2 + sunPathSize(c);
        out.asSlice(0, size).fill((byte) 0);
        // The length passed to bind/connect covers the family and the path with its NUL.
        int len = 2 + path.length + 1;
        if (c.sinLen()) {
            out.set(JAVA_BYTE, 0, (byte) len);
            out.set(JAVA_BYTE, 1, (byte) c.AF_UNIX());
        } else {
            out.set(JAVA_SHORT, 0, (short) c.AF_UNIX());
        }
        MemorySegment.copy(path, 0, out, JAVA_BYTE, 2, path.length);
        return len;
    }
}
