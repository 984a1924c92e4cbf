package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The batch past its first arrays' room: every listed stream visited once, in order; one listed during a run waits for the next. */
@Timeout(10)
class StreamBatchTest {
    private static final class Recording extends StreamBatch {
        final List<ReadinessStream> seen = new ArrayList<>();
        ReadinessStream relist;

        @Override
        void visit(ReadinessStream s) {
            seen.add(s);
            if (s == relist) push(s);
        }
    }

    @Test
    void growsPastItsInitialRoomAndKeepsOrder() {
        Recording b = new Recording();
        int n = 3 * StreamBatch.INITIAL + 1;
        List<ReadinessStream> listed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ReadinessStream s = new ReadinessStream(null, null);
            listed.add(s);
            b.push(s);
        }
        b.relist = listed.get(7);
        assertEquals(n, b.run(null));
        assertEquals(listed, b.seen);
        // The one listed again while the batch ran is the whole next batch, and then nothing is left.
        assertTrue(!b.isEmpty());
        b.seen.clear();
        b.relist = null;
        assertEquals(1, b.run(null));
        assertSame(listed.get(7), b.seen.get(0));
        assertTrue(b.isEmpty());
        assertEquals(0, b.run(null));
        // Room grown once stays: a second big batch is visited whole as well.
        for (ReadinessStream s : listed) b.push(s);
        b.seen.clear();
        assertEquals(n, b.run(null));
        assertEquals(listed, b.seen);
    }
}
