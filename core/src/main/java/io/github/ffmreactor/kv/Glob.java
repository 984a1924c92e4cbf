package io.github.ffmreactor.kv;

/**
 * The glob patterns of KEYS and SCAN MATCH, as Redis reads them: {@code *} any run, {@code ?} one
 * byte, {@code [abc]}, {@code [^a-z]} a class (a range may be written backwards), {@code \x} the
 * byte x. Matching is iterative with one back-track point for the last {@code *}, so a pattern of
 * many stars costs O(pattern × key), never exponential time.
 */
final class Glob {
    private Glob() {}

    static boolean matches(byte[] p, byte[] s) {
        int pi = 0, si = 0, starP = -1, starS = 0;
        while (si < s.length) {
            if (pi < p.length) {
                byte c = p[pi];
                if (c == '*') {
                    while (pi < p.length && p[pi] == '*') pi++;
                    if (pi == p.length) return true;
                    starP = pi;
                    starS = si;
                    continue;
                }
                int next = one(p, pi, s[si]);
                if (next >= 0) {
                    pi = next;
                    si++;
                    continue;
                }
            }
            if (starP < 0) return false;
            pi = starP; // let the last star swallow one more byte
            si = ++starS;
        }
        while (pi < p.length && p[pi] == '*') pi++;
        return pi == p.length;
    }

    /** If the pattern element at {@code pi} matches {@code b}: the index after it; else -1. */
    private static int one(byte[] p, int pi, byte b) {
        byte c = p[pi];
        if (c == '?') return pi + 1;
        if (c == '\\' && pi + 1 < p.length) return p[pi + 1] == b ? pi + 2 : -1;
        if (c != '[') return c == b ? pi + 1 : -1;
        int i = pi + 1;
        boolean not = i < p.length && p[i] == '^';
        if (not) i++;
        boolean hit = false;
        while (i < p.length && p[i] != ']') {
            if (p[i] == '\\' && i + 1 < p.length) {
                hit |= p[i + 1] == b;
                i += 2;
            } else if (i + 2 < p.length && p[i + 1] == '-' && p[i + 2] != ']') {
                int lo = p[i] & 0xff, hi = p[i + 2] & 0xff, x = b & 0xff;
                if (lo > hi) {
                    int t = lo;
                    lo = hi;
                    hi = t;
                }
                hit |= x >= lo && x <= hi;
                i += 3;
            } else {
                hit |= p[i] == b;
                i++;
            }
        }
        // An unclosed class ends at the pattern's end, as in Redis.
        return hit != not ? Math.min(i + 1, p.length) : -1;
    }
}
