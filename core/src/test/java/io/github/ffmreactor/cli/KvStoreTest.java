package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.testutil.Await;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kv store: checked against a HashMap under random operations, expiry, INCR. */
@Timeout(60)
class KvStoreTest {
    private static MemorySegment s(String t) {
        return MemorySegment.ofArray(t.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] get(KvStore st, String k) {
        MemorySegment m = s(k);
        return st.get(m, 0, (int) m.byteSize());
    }

    private static boolean set(KvStore st, String k, String v, long deadline, int when) {
        MemorySegment km = s(k), vm = s(v);
        return st.set(km, 0, (int) km.byteSize(), vm, 0, (int) vm.byteSize(), deadline, when);
    }

    private static boolean del(KvStore st, String k) {
        MemorySegment m = s(k);
        return st.delete(m, 0, (int) m.byteSize());
    }

    @Test
    void behavesLikeAMapUnderRandomSetsAndDeletes() {
        KvStore st = new KvStore();
        Map<String, String> ref = new HashMap<>();
        Random rnd = new Random(14);
        for (int i = 0; i < 200_000; i++) {
            String k = "k" + rnd.nextInt(3000);
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    String v = "v" + i;
                    assertTrue(set(st, k, v, 0, KvStore.ALWAYS));
                    ref.put(k, v);
                }
                case 1 -> assertEquals(ref.remove(k) != null, del(st, k), k);
                default -> {
                    String want = ref.get(k);
                    byte[] got = get(st, k);
                    assertEquals(want, got == null ? null : new String(got, StandardCharsets.UTF_8), k);
                }
            }
            if (i % 10_000 == 0) assertEquals(ref.size(), st.size());
        }
        for (var e : ref.entrySet()) assertArrayEquals(e.getValue().getBytes(StandardCharsets.UTF_8), get(st, e.getKey()));
        for (String k : ref.keySet()) assertTrue(del(st, k));
        assertEquals(0, st.size());
    }

    @Test
    void nxAndXx() {
        KvStore st = new KvStore();
        assertFalse(set(st, "a", "1", 0, KvStore.IF_PRESENT));
        assertTrue(set(st, "a", "1", 0, KvStore.IF_ABSENT));
        assertFalse(set(st, "a", "2", 0, KvStore.IF_ABSENT));
        assertTrue(set(st, "a", "3", 0, KvStore.IF_PRESENT));
        assertArrayEquals("3".getBytes(), get(st, "a"));
    }

    @Test
    void expiredKeysVanishWhenTouchedAndBySweep() throws Exception {
        KvStore st = new KvStore();
        long soon = KvStore.nowMillis() + 50;
        for (int i = 0; i < 1000; i++) set(st, "e" + i, "v", soon, KvStore.ALWAYS);
        set(st, "stay", "v", 0, KvStore.ALWAYS);
        set(st, "later", "v", KvStore.nowMillis() + 60_000, KvStore.ALWAYS);
        assertArrayEquals("v".getBytes(), get(st, "e1"));
        Await.until("deadline passed", () -> KvStore.nowMillis() > soon);
        assertNull(get(st, "e1"));
        assertEquals(1000 - 1 + 2, st.size());
        int removed = 0;
        for (int i = 0; i < 10 && st.size() > 2; i++) removed += st.sweep(1024);
        assertEquals(999, removed);
        assertEquals(2, st.size());
        assertEquals(1000, st.expired());
        assertArrayEquals("v".getBytes(), get(st, "stay"));
        assertArrayEquals("v".getBytes(), get(st, "later"));
        // KEEPTTL keeps the deadline; a plain SET drops it.
        assertTrue(set(st, "later", "w", KvStore.KEEP_TTL, KvStore.ALWAYS));
        set(st, "short", "v", KvStore.nowMillis() + 30, KvStore.ALWAYS);
        set(st, "short", "w", KvStore.KEEP_TTL, KvStore.ALWAYS);
        set(st, "cleared", "v", KvStore.nowMillis() + 30, KvStore.ALWAYS);
        set(st, "cleared", "w", 0, KvStore.ALWAYS);
        long t = KvStore.nowMillis() + 40;
        Await.until("deadline passed", () -> KvStore.nowMillis() > t);
        assertNull(get(st, "short"));
        assertArrayEquals("w".getBytes(), get(st, "cleared"));
    }

    @Test
    void increment() {
        KvStore st = new KvStore();
        long[] out = new long[1];
        MemorySegment k = s("n");
        assertEquals(KvStore.OK, st.increment(k, 0, 1, out));
        assertEquals(1, out[0]);
        assertEquals(KvStore.OK, st.increment(k, 0, 1, out));
        assertEquals(2, out[0]);
        for (String bad : new String[] {"", "x", "012", "+1", " 1", "1 ", "-0", "-", "99999999999999999999", "1.5"}) {
            set(st, "n", bad, 0, KvStore.ALWAYS);
            assertEquals(KvStore.NOT_INTEGER, st.increment(k, 0, 1, out), "'" + bad + "'");
        }
        set(st, "n", "-5", 0, KvStore.ALWAYS);
        assertEquals(KvStore.OK, st.increment(k, 0, 1, out));
        assertEquals(-4, out[0]);
        set(st, "n", "0", 0, KvStore.ALWAYS);
        assertEquals(KvStore.OK, st.increment(k, 0, 1, out));
        set(st, "n", Long.toString(Long.MAX_VALUE), 0, KvStore.ALWAYS);
        assertEquals(KvStore.OVERFLOW, st.increment(k, 0, 1, out));
        set(st, "n", Long.toString(Long.MIN_VALUE + 1), 0, KvStore.ALWAYS);
        assertEquals(KvStore.OK, st.increment(k, 0, 1, out));
        assertEquals(Long.MIN_VALUE + 2, out[0]);
    }
}
