package io.github.ffmreactor.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Winsock fd_set ({@code u_int fd_count; SOCKET fd_array[FD_SETSIZE]}) and timeval on
 * 64-bit Windows, byte for byte, against winsock2.h as documented by Microsoft (see
 * native-notes/windows-select.md). Runs on any host; nothing here calls Winsock.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WinsockLayoutTest {
    @Test
    void defaultFdSetIs520Bytes() {
        StructLayout l = Winsock.fdSetLayout(Winsock.FD_SETSIZE_DEFAULT);
        assertEquals(520, l.byteSize());
        assertEquals(0, l.byteOffset(groupElement("fd_count")));
        assertEquals(8, l.byteOffset(groupElement("fd_array")));
        assertEquals(Winsock.FD_ARRAY_OFFSET, l.byteOffset(groupElement("fd_array")));
        assertEquals(8 + 8 * 1024, Winsock.fdSetLayout(1024).byteSize());
    }

    @Test
    void fdSetEncodingByteForByte() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(Winsock.fdSetLayout(64));
            set.fill((byte) 0xaa);
            long[] sockets = {0x1a4, 0x2b8, 0x1_0000_0010L, 0x777};
            Winsock.encodeFdSet(set, sockets, 3);
            String want = "03 00 00 00 | 00 00 00 00 | a4 01 00 00 00 00 00 00 | b8 02 00 00 00 00 00 00"
                    + " | 10 00 00 00 01 00 00 00";
            assertEquals(Bytes.hex(Bytes.hex(want)), Bytes.hex(set, 0, 32));
            assertEquals("aa aa aa aa aa aa aa aa", Bytes.hex(set, 32, 8), "entries past fd_count untouched");
            assertEquals(3, Winsock.fdCount(set));
            assertEquals(0x2b8, Winsock.fdAt(set, 1));
            assertThrows(IllegalArgumentException.class, () -> Winsock.encodeFdSet(set, new long[65], 65));
        }
    }

    @Test
    void timevalIsTwo32BitLongs() {
        assertEquals(8, Winsock.TIMEVAL_SIZE);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(8, 4);
            Winsock.timeval(tv, 1500);
            assertEquals("01 00 00 00 20 a1 07 00", Bytes.hex(tv, 0, 8));
        }
    }

    @Test
    void fionbioIsIOW_f_126_ulong() {
        int iocIn = 0x80000000, iocparmMask = 0x7f, sizeofULong = 4;
        int iow = iocIn | ((sizeofULong & iocparmMask) << 16) | ('f' << 8) | 126;
        assertEquals(iow, Winsock.FIONBIO);
        assertEquals(0x8004667E, Winsock.FIONBIO);
        assertEquals(0x0202, Winsock.WINSOCK_2_2);
    }

    @Test
    void notLinkedOffWindows() {
        if (Platform.CURRENT != Platform.WINDOWS) assertEquals(false, Winsock.available());
    }
}
