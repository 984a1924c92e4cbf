package io.github.ffmreactor.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SOCKET -> index table of the Windows select backend, checked against a HashMap here. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LongIntTableTest {
    @Test
    void agreesWithAHashMapUnderRandomChurn() {
        Random rnd = new Random(7);
        for (int round = 0; round < 20; round++) {
            int max = 1 + rnd.nextInt(1024);
            LongIntTable t = new LongIntTable(max);
            Map<Long, Integer> ref = new HashMap<>();
            List<Long> keys = new ArrayList<>();
            for (int op = 0; op < 20_000; op++) {
                // Windows handles are small multiples of 4; mix in large ones and collisions.
                long k = rnd.nextInt(3) == 0 ? rnd.nextLong() & Long.MAX_VALUE : 4L * rnd.nextInt(2 * max);
                int what = rnd.nextInt(3);
                if (what == 0 && ref.size() < max) {
                    int v = rnd.nextInt(1 << 20);
                    t.put(k, v);
                    if (ref.put(k, v) == null) keys.add(k);
                } else if (what == 1 && !keys.isEmpty()) {
                    long r = keys.remove(rnd.nextInt(keys.size()));
                    assertEquals(true, t.remove(r));
                    ref.remove(r);
                    assertEquals(false, t.remove(r));
                } else {
                    assertEquals(ref.getOrDefault(k, -1), t.get(k), "key " + k);
                }
                assertEquals(ref.size(), t.size());
            }
            for (Map.Entry<Long, Integer> e : ref.entrySet()) assertEquals(e.getValue(), t.get(e.getKey()));
        }
    }

    @Test
    void fullAndNegativeKeysAreRefused() {
        LongIntTable t = new LongIntTable(2);
        t.put(1, 1);
        t.put(2, 2);
        t.put(2, 3); // an update is not an addition
        assertEquals(3, t.get(2));
        assertThrows(IllegalStateException.class, () -> t.put(3, 3));
        assertThrows(IllegalArgumentException.class, () -> t.put(-1, 0));
    }
}
