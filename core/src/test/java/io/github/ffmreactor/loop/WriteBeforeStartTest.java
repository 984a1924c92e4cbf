package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.TcpPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Before a loop has a thread, any thread may write: a connection registered and written to by
 * the thread that opened the loop queues what the kernel does not take (far more than the socket
 * buffers here), and the loop thread, once started, flushes that queue. The queue's memory must
 * not belong to the writing thread: every byte arrives, in order, and nothing is reported.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class WriteBeforeStartTest {
    private static final int SIZE = 4 << 20;

    static List<Arguments> backends() {
        return Backends.withTriggers();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void aQueueWrittenBeforeStartIsFlushedByTheLoopThread(String backend, Trigger trigger) throws Exception {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int[] pair = TcpPair.connected();
        try (Arena a = Arena.ofConfined();
             EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend))
                     .withLimits(64 * 1024, 32L << 20))) {
            loop.onError((c, t) -> errors.add(t));
            byte[] data = new byte[SIZE];
            for (int i = 0; i < SIZE; i++) data[i] = (byte) (i % 251);
            Connection c = loop.register(pair[1], trigger, new Handler() {
                @Override
                public void onData(Connection k, MemorySegment buf, int len) {}
            });
            pair[1] = -1; // the loop's now
            assertTrue(c.write(data), "queued before start");
            loop.start("write-before-start");
            MemorySegment got = a.allocate(SIZE);
            assertEquals(SIZE, TcpPair.readNonBlocking(pair[0], got, SIZE));
            for (int i = 0; i < SIZE; i++) {
                if (got.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != (byte) (i % 251)) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
            assertTrue(errors.isEmpty(), errors.toString());
            assertNull(loop.terminationCause());
        } finally {
            Fds.closeQuietly(pair[0]);
            if (pair[1] >= 0) Fds.closeQuietly(pair[1]);
        }
    }
}
