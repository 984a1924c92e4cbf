package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Slots: live, retired (closed, not yet released: what a completion engine needs), freed. */
@Timeout(10)
class SlotsTest {
    private static Channel channel() {
        // Never registered nor opened: only its slot field is used here.
        return new Listener(null, -1, Trigger.LEVEL, () -> null, (InetSocketAddress) null);
    }

    @Test
    void retiredSlotDeliversNothingIsNotReusedAndIsFreedLater() {
        Slots slots = new Slots();
        Channel a = channel(), b = channel();
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
        Channel c = channel();
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
        Channel[] cs = new Channel[200];
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

    /**
     * An io_uring request's user_data holds the slot beside its kind (bits 28-31): slots past 2^28
     * cannot be named, so the table refuses them where they are allocated, with a reason.
     */
    @Test
    void slotsPastTheEnginesLimitAreRefusedWithAReason() {
        Slots slots = new Slots();
        slots.limit(2, "io_uring");
        Channel a = channel(), b = channel(), c = channel();
        slots.allocate(a);
        slots.allocate(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> slots.allocate(c));
        assertTrue(e.getMessage().startsWith("io_uring: no slot for another channel"), e.getMessage());
        assertEquals(-1, c.slot);
        slots.free(a);
        slots.allocate(c); // a freed slot is within the limit
        assertEquals(0, c.slot);
    }

    @Test
    void userDataCarriesTheTokenAndTheKindUpToTheLimit() {
        long token = (0x7fff_fffeL << 32) | (UserData.MAX_SLOTS - 1);
        for (int kind : new int[] {UserData.RECV, UserData.SEND, UserData.ACCEPT, UserData.CANCEL, UserData.WAKE, UserData.CONNECT}) {
            long ud = UserData.of(token, kind);
            assertEquals(kind, UserData.kind(ud));
            assertEquals(token, UserData.token(ud));
        }
        assertEquals(1 << 28, UserData.MAX_SLOTS);
    }
}
