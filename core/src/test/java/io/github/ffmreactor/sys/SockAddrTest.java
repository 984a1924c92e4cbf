package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** sockaddr_in / sockaddr_in6 byte for byte, Linux (16-bit family) and BSD (sin_len + 8-bit family). */
class SockAddrTest {
    private static byte[] bytes(MemorySegment s, int n) {
        return s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void linuxSockaddrIn() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(128);
            int len = SockAddr.encode(SocketConsts.LINUX, s, new byte[] {127, 0, 0, 1}, 0x1f90, 0);
            assertEquals(16, len);
            byte[] le = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                    ? new byte[] {2, 0} : new byte[] {0, 2};
            assertArrayEquals(new byte[] {le[0], le[1], 0x1f, (byte) 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, bytes(s, 16));
            assertEquals(0x1f90, SockAddr.port(s));
            assertArrayEquals(new byte[] {127, 0, 0, 1}, SockAddr.address(SocketConsts.LINUX, s));
        }
    }

    @Test
    void bsdSockaddrInHasLengthByte() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(128);
            SockAddr.encode(SocketConsts.MACOS, s, new byte[] {127, 0, 0, 1}, 7000, 0);
            assertArrayEquals(new byte[] {16, 2, 0x1b, 0x58, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, bytes(s, 16));
            assertEquals(2, SockAddr.family(SocketConsts.MACOS, s));
        }
    }

    @Test
    void sockaddrIn6PerOs() {
        byte[] loop6 = new byte[16];
        loop6[15] = 1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(128);
            assertEquals(28, SockAddr.encode(SocketConsts.LINUX, s, loop6, 443, 0));
            assertEquals(10, SockAddr.family(SocketConsts.LINUX, s));
            assertEquals(443, SockAddr.port(s));
            assertArrayEquals(loop6, SockAddr.address(SocketConsts.LINUX, s));
            SockAddr.encode(SocketConsts.MACOS, s, loop6, 443, 0);
            assertEquals(28, s.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(30, s.get(ValueLayout.JAVA_BYTE, 1));
            SockAddr.encode(SocketConsts.FREEBSD, s, loop6, 443, 0);
            assertEquals(28, s.get(ValueLayout.JAVA_BYTE, 1));
        }
    }
}
