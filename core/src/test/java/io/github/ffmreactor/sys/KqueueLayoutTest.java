package io.github.ffmreactor.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * struct kevent for macOS (32 bytes) and FreeBSD 12+ (64 bytes), checked byte for byte here on
 * any host, against the headers: xnu bsd/sys/event.h and FreeBSD sys/sys/event.h (see
 * native-notes/kqueue.md).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KqueueLayoutTest {
    static final String ONE_EVENT =
            "08 07 06 05 04 03 02 01 | ff ff | 21 00 | 00 00 00 01 | 88 77 66 55 44 33 22 11 | ef be ad de be ba fe ca";

    private static void offsets(StructLayout l) {
        assertEquals(Kqueue.IDENT, l.byteOffset(groupElement("ident")));
        assertEquals(Kqueue.FILTER, l.byteOffset(groupElement("filter")));
        assertEquals(Kqueue.FLAGS, l.byteOffset(groupElement("flags")));
        assertEquals(Kqueue.FFLAGS, l.byteOffset(groupElement("fflags")));
        assertEquals(Kqueue.DATA, l.byteOffset(groupElement("data")));
        assertEquals(Kqueue.UDATA, l.byteOffset(groupElement("udata")));
    }

    @Test
    void macosLayoutIs32Bytes() {
        StructLayout l = Kqueue.eventLayout(Platform.MACOS);
        assertEquals(32, l.byteSize());
        assertEquals(8, l.byteAlignment());
        offsets(l);
    }

    @Test
    void freebsdLayoutIs64BytesWithExt() {
        StructLayout l = Kqueue.eventLayout(Platform.FREEBSD);
        assertEquals(64, l.byteSize());
        offsets(l);
        assertEquals(32, l.byteOffset(groupElement("ext")));
        assertEquals(32, l.select(groupElement("ext")).byteSize());
    }

    private static MemorySegment encode(Arena a, Platform p, int size) {
        MemorySegment seg = a.allocate(2L * size, 8);
        seg.fill((byte) 0xaa);
        for (int i = 0; i < 2; i++) {
            Kqueue.set(p, seg, i, 0x0102030405060708L, Kqueue.EVFILT_READ, (short) (Kqueue.EV_ADD | Kqueue.EV_CLEAR),
                    Kqueue.NOTE_TRIGGER, 0x1122334455667788L, 0xcafebabedeadbeefL);
        }
        return seg;
    }

    @Test
    void macosEncodingByteForByte() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = encode(a, Platform.MACOS, 32);
            byte[] want = Bytes.hex(ONE_EVENT);
            assertEquals(Bytes.hex(want), Bytes.hex(seg, 0, 32));
            assertEquals(Bytes.hex(want), Bytes.hex(seg, 32, 32), "second event at 32");
        }
    }

    @Test
    void freebsdEncodingByteForByte() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = encode(a, Platform.FREEBSD, 64);
            byte[] want = Bytes.hex(ONE_EVENT + " | " + "00 ".repeat(32));
            assertEquals(Bytes.hex(want), Bytes.hex(seg, 0, 64), "ext[4] zeroed, as EV_SET does");
            assertEquals(Bytes.hex(want), Bytes.hex(seg, 64, 64), "second event at 64");
        }
    }

    @Test
    void constantsPerOs() {
        assertEquals(-1, Kqueue.EVFILT_READ);
        assertEquals(-2, Kqueue.EVFILT_WRITE);
        assertEquals(-10, Kqueue.evfiltUser(Platform.MACOS));
        assertEquals(-11, Kqueue.evfiltUser(Platform.FREEBSD));
        assertEquals(0x1, Kqueue.EV_ADD);
        assertEquals(0x2, Kqueue.EV_DELETE);
        assertEquals(0x4, Kqueue.EV_ENABLE);
        assertEquals(0x10, Kqueue.EV_ONESHOT);
        assertEquals(0x20, Kqueue.EV_CLEAR);
        assertEquals(0x40, Kqueue.EV_RECEIPT);
        assertEquals(0x4000, Kqueue.EV_ERROR);
        assertEquals(0x8000, Short.toUnsignedInt(Kqueue.EV_EOF));
        assertEquals(0x01000000, Kqueue.NOTE_TRIGGER);
        assertEquals(16, Kqueue.TIMESPEC_SIZE);
    }

    @Test
    void timespec() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ts = a.allocate(16, 8);
            Kqueue.timespec(ts, 2500);
            // tv_sec 2, tv_nsec 500 000 000 = 0x1dcd6500
            assertEquals("02 00 00 00 00 00 00 00 00 65 cd 1d 00 00 00 00", Bytes.hex(ts, 0, 16));
        }
    }

    @Test
    void linuxHasNoKqueueUnlessALibraryIsNamed() {
        if (Platform.CURRENT != Platform.LINUX) return;
        assertEquals(Kqueue.EMULATED, Kqueue.available());
        // libkqueue's ABI: the macOS struct kevent, FreeBSD's EVFILT_USER.
        if (Kqueue.EMULATED) {
            assertEquals(32, Kqueue.EVENT_SIZE);
            assertEquals(-11, Kqueue.EVFILT_USER);
        }
    }
}
