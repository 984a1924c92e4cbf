package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SipHash under a 128-bit key: SipHash-1-3 for the store (one round per 8-byte word, three to
 * finish: the variant Rust's and Python's hash tables use); the round counts are parameters so a
 * test can check the code against the paper's SipHash-2-4 vectors. The store draws the key at
 * random, so which keys collide differs per process and cannot be chosen offline (a fixed-seed
 * hash lets one client make every lookup of every other client walk one long probe run).
 */
final class SipHash {
    private static final ValueLayout.OfLong LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long k0, k1;
    private final int compression, finalization;

    SipHash(long k0, long k1, int compression, int finalization) {
        this.k0 = k0;
        this.k1 = k1;
        this.compression = compression;
        this.finalization = finalization;
    }

    /** The 64-bit hash of {@code seg[off, off+len)}. */
    long hash(MemorySegment seg, long off, int len) {
        long v0 = k0 ^ 0x736f6d6570736575L, v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L, v3 = k1 ^ 0x7465646279746573L;
        long end = off + (len & ~7);
        long b = ((long) len) << 56;
        for (int i = 0, rest = len & 7; i < rest; i++) b |= (seg.get(ValueLayout.JAVA_BYTE, end + i) & 0xffL) << (8 * i);
        for (long p = off; p <= end; p += 8) {
            long m = p < end ? seg.get(LE, p) : b; // the last word: the tail bytes and the length
            v3 ^= m;
            for (int r = 0; r < compression; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        v2 ^= 0xff;
        for (int r = 0; r < finalization; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
