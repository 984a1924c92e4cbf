package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Decimal integers as Redis reads them ({@code string2ll}): every 64-bit value, Long.MIN_VALUE included. */
final class Numbers {
    private Numbers() {}

    /**
     * Whether {@code seg[p, end)} is a 64-bit integer; if so it is stored in {@code out[0]}. With
     * {@code canonical}, only Redis's form is taken: no leading zeros, no "-0", no '+', no spaces.
     */
    static boolean parse(MemorySegment seg, long p, long end, boolean canonical, long[] out) {
        if (p >= end || end - p > 20) return false;
        boolean neg = seg.get(ValueLayout.JAVA_BYTE, p) == '-';
        if (neg && ++p == end) return false;
        if (canonical && seg.get(ValueLayout.JAVA_BYTE, p) == '0' && (end - p > 1 || neg)) return false;
        long v = 0; // accumulated as a negative number: -Long.MIN_VALUE does not fit in a long
        for (long i = p; i < end; i++) {
            int d = seg.get(ValueLayout.JAVA_BYTE, i) - '0';
            if (d < 0 || d > 9 || v < (Long.MIN_VALUE + d) / 10) return false;
            v = v * 10 - d;
        }
        if (!neg && v == Long.MIN_VALUE) return false;
        out[0] = neg ? v : -v;
        return true;
    }
}
