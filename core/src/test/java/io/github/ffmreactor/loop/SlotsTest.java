package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.ffmreactor.Trigger;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Slots: live, retired (closed, not yet released: what a completion engine needs), freed. */
@Timeout(10)
class SlotsTest {
    private static Connection channel() {
        // Never registered nor opened: only its slot field is used here.
        return new Connection(null, -1, Trigger.LEVEL, (Connection c, MemorySegment b, int n) -> { });
    }

    @Test
    void retiredSlotDeliversNothingIsNotReusedAndIsFreedLater() {
        Slots slots = new Slots();
        Connection a = channel(), b = channel();
        slots.allocate(a);
        long ta = slots.token(a);
        assertSame(a, slots.lookup(ta));
        assertNull(slots.retired(ta));

        slots.retire(a);
        assertNull(slots.lookup(ta), "a retired slot's events are stale");
        assertSame(a, slots.retired(ta), "the engine still finds it for its last completions");
        slots.allocate(b);
        assertNotEquals(a.slot, b.slot, "a retired slot is not reused");
        assertSame(b, slots.lookup(slots.token(b)));

        int s = a.slot;
        slots.free(a);
        assertEquals(-1, a.slot);
        assertNull(slots.retired(ta));
        assertNull(slots.lookup(ta));
        Connection c = channel();
        slots.allocate(c);
        assertEquals(s, c.slot, "freed: reused");
        assertNull(slots.lookup(ta), "under a new generation: the old token stays stale");
        assertNull(slots.retired(ta));
        assertSame(c, slots.lookup(slots.token(c)));
        slots.free(a); // twice: nothing
        assertSame(c, slots.lookup(slots.token(c)));
    }

    @Test
    void manyRetiredSlotsGrowTheTable() {
        Slots slots = new Slots();
        Connection[] cs = new Connection[200];
        long[] tokens = new long[cs.length];
        for (int i = 0; i < cs.length; i++) {
            cs[i] = channel();
            slots.allocate(cs[i]);
            tokens[i] = slots.token(cs[i]);
            if (i % 2 == 0) slots.retire(cs[i]);
        }
        for (int i = 0; i < cs.length; i++) {
            if (i % 2 == 0) {
                assertNull(slots.lookup(tokens[i]));
                assertSame(cs[i], slots.retired(tokens[i]));
            } else {
                assertSame(cs[i], slots.lookup(tokens[i]));
            }
        }
        for (int i = 0; i < cs.length; i += 2) slots.free(cs[i]);
        assertEquals(100, slots.snapshot().length);
    }
}
