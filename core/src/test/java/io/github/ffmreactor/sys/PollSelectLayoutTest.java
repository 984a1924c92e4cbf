package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** struct pollfd, nfds_t, POLL* bits, POSIX fd_set and struct timeval, per OS. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PollSelectLayoutTest {
    @Test
    void pollfdIs8BytesEverywhere() {
        assertEquals(8, Poll.POLLFD_SIZE);
        assertEquals(0, Poll.FD_OFFSET);
        assertEquals(4, Poll.EVENTS_OFFSET);
        assertEquals(6, Poll.REVENTS_OFFSET);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(16, 8);
            s.fill((byte) 0xaa);
            Poll.set(s, 1, 7, (short) (Poll.POLLIN | Poll.POLLOUT));
            assertEquals("07 00 00 00 05 00 00 00", Bytes.hex(s, 8, 8), "revents cleared");
        }
    }

    @Test
    void nfdsTPerOs() {
        assertEquals(8, Poll.nfdsSize(Platform.LINUX));
        assertEquals(4, Poll.nfdsSize(Platform.MACOS));
        assertEquals(4, Poll.nfdsSize(Platform.FREEBSD));
    }

    @Test
    void pollBits() {
        assertEquals(0x1, Poll.POLLIN);
        assertEquals(0x2, Poll.POLLPRI);
        assertEquals(0x4, Poll.POLLOUT);
        assertEquals(0x8, Poll.POLLERR);
        assertEquals(0x10, Poll.POLLHUP);
        assertEquals(0x20, Poll.POLLNVAL);
        assertEquals(0x2000, Poll.pollRdHup(Platform.LINUX));
        assertEquals(0, Poll.pollRdHup(Platform.MACOS));
        assertEquals(0, Poll.pollRdHup(Platform.FREEBSD));
    }

    @Test
    void fdSetSizePerOs() {
        assertEquals(1024, Select.fdSetSize(Platform.LINUX));
        assertEquals(1024, Select.fdSetSize(Platform.MACOS));
        assertEquals(1024, Select.fdSetSize(Platform.FREEBSD));
        if (Platform.CURRENT != Platform.WINDOWS) {
            assertEquals(128, Select.FD_SET_BYTES);
            assertEquals(16, Select.FD_SET_WORDS);
        }
    }

    @Test
    void fdSetEncodingByteForByte() {
        if (Platform.CURRENT == Platform.WINDOWS) return;
        long[] bits = new long[16];
        for (int fd : new int[] {0, 5, 63, 64, 1023}) Select.set(bits, fd);
        Select.set(bits, 9);
        Select.clear(bits, 9);
        assertTrue(Select.isSet(bits, 63));
        assertFalse(Select.isSet(bits, 9));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(128, 8);
            Select.encode(bits, 16, set);
            byte[] want = new byte[128];
            want[0] = 0x21;              // fds 0 and 5
            want[7] = (byte) 0x80;       // fd 63
            want[8] = 0x01;              // fd 64
            want[127] = (byte) 0x80;     // fd 1023
            assertEquals(Bytes.hex(want), Bytes.hex(set, 0, 128));
            // FD_ISSET as glibc/macOS/FreeBSD compute it, on 32-bit words (macOS __int32_t fds_bits).
            for (int fd : new int[] {0, 5, 63, 64, 1023, 1, 62, 65}) {
                int word = set.get(JAVA_INT, (fd / 32) * 4L);
                assertEquals((word & (1 << (fd % 32))) != 0, Select.isSet(set, fd), "fd " + fd);
            }
        }
    }

    @Test
    void timevalEncoding() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(16, 8);
            tv.fill((byte) 0xaa);
            Select.timeval(tv, 1500);
            // tv_sec 1; tv_usec 500000 = 0x7a120 (a long on Linux/FreeBSD; an int + padding on macOS)
            assertEquals("01 00 00 00 00 00 00 00 20 a1 07 00 00 00 00 00", Bytes.hex(tv, 0, 16));
        }
    }

    /** The select the poller layer builds: Winsock's on Windows, POSIX's elsewhere, usable on this machine. */
    @Test
    void theSelectFlavourFollowsTheOs() {
        assertEquals(Platform.CURRENT == Platform.WINDOWS ? Select.Flavour.WINSOCK : Select.Flavour.POSIX, Select.FLAVOUR);
        assertTrue(Select.FLAVOUR.available());
        assertFalse(Select.Flavour.WINSOCK.available() && Platform.CURRENT != Platform.WINDOWS, "Winsock off Windows");
    }
}
