package io.github.ffmreactor.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test helper: hex strings to bytes and segments to hex, for byte-for-byte layout checks. */
final class Bytes {
    private Bytes() {}

    /** "08 07 ff" (spaces and | ignored) to bytes. */
    static byte[] hex(String s) {
        String h = s.replaceAll("[\\s|]", "");
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    static String hex(MemorySegment seg, long off, long len) {
        StringBuilder sb = new StringBuilder();
        for (long i = 0; i < len; i++) {
            if (i > 0) sb.append(' ');
            sb.append(String.format("%02x", seg.get(ValueLayout.JAVA_BYTE, off + i)));
        }
        return sb.toString();
    }

    static String hex(byte[] b) {
        return hex(MemorySegment.ofArray(b), 0, b.length);
    }
}
