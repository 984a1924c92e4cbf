package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Faults.Call;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import io.github.ffmreactor.testutil.OnLoop;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Output that spans chunks goes out as one SENDMSG of up to {@link SendVectors#IOVECS} chunks
 * (io_uring): every byte once and in order for replies of one, two and many chunks, with short
 * sends (made by the kernel for a slow reader, and by the fault seam at chosen sizes that end in
 * the middle of a chunk); fewer requests than chunks in the loop's counters; a SENDMSG that
 * completes with an error; a vector whose mmap fails (a SEND per chunk instead); a close while a
 * SENDMSG is in flight (its slot, and so its vector and chunks, held until the completion).
 *
 * <p>The handler answers each byte it receives with a reply: 'a'..'z' pick a size from
 * {@link #SIZES}, and the reply's bytes are a function of their position in the whole stream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(NoFdLeaks.class)
class UringSendmsgTest {
    private static final LoopOptions URING = LoopOptions.defaults().withBackend(Backend.IO_URING);
    private static final int CHUNK = ChunkPool.CHUNK;
    /** Reply sizes: under a chunk, one chunk, just over, three, one SENDMSG's worth and more, many. */
    private static final int[] SIZES = {100, CHUNK, CHUNK + 1, 3 * CHUNK - 5, SendVectors.IOVECS * CHUNK + 3, 32 * CHUNK,
        (1 << 20) + 7};

    private final List<Connection> accepted = new CopyOnWriteArrayList<>();
    private final List<Throwable> closeCauses = new CopyOnWriteArrayList<>();
    private final List<Connection> closed = new CopyOnWriteArrayList<>();

    @AfterEach
    void clear() {
        Faults.clear();
    }

    /** Byte {@code i} of the stream of replies. */
    private static byte at(long i) {
        return (byte) (i * 31 + (i >>> 11));
    }

    private Handler replier() {
        return new Handler() {
            private long written;

            @Override
            public void onOpen(Connection c) {
                accepted.add(c);
            }

            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                for (int i = 0; i < len; i++) {
                    byte[] reply = new byte[SIZES[buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) - 'a']];
                    for (int j = 0; j < reply.length; j++) reply[j] = at(written + j);
                    written += reply.length;
                    c.write(reply);
                }
            }

            @Override
            public void onClose(Connection c, Throwable cause) {
                if (cause != null) closeCauses.add(cause);
                closed.add(c);
            }
        };
    }

    /** Reads {@code n} bytes and checks each against the stream's position {@code from}. */
    private static void expect(InputStream in, long from, long n, int piece) throws Exception {
        byte[] b = new byte[piece];
        long got = 0;
        while (got < n) {
            int r = in.read(b, 0, (int) Math.min(piece, n - got));
            assertTrue(r > 0, "EOF after " + got + " of " + n + " bytes");
            for (int i = 0; i < r; i++) {
                if (b[i] != at(from + got + i)) throw new AssertionError("byte " + (from + got + i) + " wrong or out of order");
            }
            got += r;
        }
    }

    private static Socket connect(LoopRunner r) throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), r.address().getPort());
        s.setSoTimeout(20_000);
        return s;
    }

    private static int sizeIndex(int size) {
        for (int i = 0; i < SIZES.length; i++) if (SIZES[i] == size) return i;
        throw new IllegalArgumentException("no size " + size);
    }

    private static long writes(LoopRunner r) {
        return r.loop.stats().writes();
    }

    private static int lent(LoopRunner r) throws Exception {
        return OnLoop.call(r.loop, () -> ((UringEngine) r.loop.engine).chunks().lent());
    }

    @Test
    void repliesOfOneTwoAndManyChunksArriveWholeAndInOrder() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = connect(r)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long pos = 0;
            for (int round = 0; round < 2; round++) {
                for (int size : SIZES) {
                    out.write('a' + sizeIndex(size));
                    expect(in, pos, size, 64 * 1024);
                    pos += size;
                }
            }
            // Several replies queued in one turn (one receive of seven bytes) go out as one queue.
            byte[] all = new byte[SIZES.length];
            long total = 0;
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) ('a' + i);
                total += SIZES[i];
            }
            out.write(all);
            expect(in, pos, total, 64 * 1024);
            Await.until("every chunk back in the pool", () -> lent(r) == 0);
            assertTrue(r.errors.isEmpty(), r.errors.toString());
            assertTrue(closed.isEmpty());
        }
    }

    /**
     * 32 chunks of output for a reader that keeps up: at most 16 requests (one SEND per chunk would
     * be 32) and at least 4 (a SENDMSG takes at most 8 chunks).
     */
    @Test
    void manyChunksTakeFewerRequestsThanChunks() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = connect(r)) {
            int size = 32 * CHUNK;
            long pos = 0;
            for (int round = 0; round < 3; round++) {
                long before = writes(r);
                s.getOutputStream().write('a' + sizeIndex(size));
                expect(s.getInputStream(), pos, size, 256 * 1024);
                pos += size;
                // The peer can hold the last bytes before the loop has reaped their completion, and a
                // send is counted at its completion: count once every chunk is back in the pool.
                Await.until("every chunk back in the pool", () -> lent(r) == 0);
                long sends = writes(r) - before;
                assertTrue(sends >= size / CHUNK / SendVectors.IOVECS, "no more than 8 chunks a request: " + sends);
                assertTrue(sends <= size / CHUNK / 2, sends + " requests for " + size / CHUNK + " chunks");
            }
        }
    }

    /**
     * A reader that waits until the server's SENDMSG is stuck (the socket's buffers full), then reads
     * in small pieces: the kernel completes sends short, at any byte, and the rest follows in order.
     */
    @Test
    void aSlowReaderGetsEveryByteInOrder() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier)) {
            try (Socket s = slowPeer(r)) {
                long before = writes(r);
                expect(s.getInputStream(), 0, STUCK_BYTES, 1000);
                assertTrue(writes(r) - before >= 1, "sends completed while reading");
                Await.until("every chunk back in the pool", () -> lent(r) == 0);
            }
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /** 16 replies of 32 chunks asked at once: 8 MiB, more than a socket's buffers take. */
    private static final long STUCK_BYTES = 16L * 32 * CHUNK;

    /**
     * A peer with a small receive buffer that asks for {@link #STUCK_BYTES} and reads nothing yet:
     * returned once the server's SENDMSG has stayed in flight across waits (the socket is full).
     */
    private Socket slowPeer(LoopRunner r) throws Exception {
        Socket s = new Socket();
        try {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), r.address().getPort()), 10_000);
            s.setSoTimeout(20_000);
            Await.until("accepted", () -> accepted.size() == 1);
            byte[] ask = new byte[(int) (STUCK_BYTES / (32 * CHUNK))];
            java.util.Arrays.fill(ask, (byte) ('a' + sizeIndex(32 * CHUNK)));
            s.getOutputStream().write(ask);
            RingStream k = (RingStream) accepted.get(0).stream;
            UringEngine e = (UringEngine) r.loop.engine;
            // Each check is a task, so a wait ends per check: a SENDMSG that outlives three is stuck.
            Await.until("a SENDMSG stuck in the kernel", () -> OnLoop.call(r.loop,
                    () -> k.sending > 0 && k.sendVectored && e.waits > k.sendWait + 2));
            return s;
        } catch (Exception | AssertionError x) {
            s.close();
            throw x;
        }
    }

    /**
     * The fault seam makes each SENDMSG short at a size that ends inside a chunk (and, for the
     * smaller limit, inside the first): the next one starts at that byte, across chunk boundaries.
     */
    @ParameterizedTest
    @ValueSource(ints = {777, CHUNK + 3000, 3 * CHUNK - 1})
    void shortSendmsgsConsumeAcrossChunks(int limit) throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = connect(r)) {
            Await.until("accepted", () -> accepted.size() == 1);
            int size = SendVectors.IOVECS * CHUNK + 3;
            int times = (int) Math.min(40, size / limit);
            Faults.limit(Call.WRITE, accepted.get(0).fd(), 0, limit, times);
            s.getOutputStream().write('a' + sizeIndex(size));
            expect(s.getInputStream(), 0, size, 4096);
            assertEquals(times, Faults.fired(Call.WRITE));
            Await.until("every chunk back in the pool", () -> lent(r) == 0);
            assertTrue(accepted.get(0).isOpen());
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }

    /**
     * A SENDMSG whose completion carries -errno: EAGAIN is sent again (every byte arrives), a reset
     * closes only that connection quietly, any other errno closes it and is reported; both name
     * sendmsg, and the chunks go back to the pool.
     */
    @ParameterizedTest
    @ValueSource(strings = {"EAGAIN", "ECONNRESET", "EIO"})
    void aFailedSendmsgCompletion(String name) throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        int errno = Errno.CURRENT.get(name);
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = connect(r)) {
            Await.until("accepted", () -> accepted.size() == 1);
            Faults.fail(Call.WRITE, accepted.get(0).fd(), 0, errno, 1);
            int size = 3 * CHUNK - 5;
            s.getOutputStream().write('a' + sizeIndex(size));
            if (errno == Errno.EAGAIN) {
                expect(s.getInputStream(), 0, size, 4096);
                assertTrue(accepted.get(0).isOpen());
                assertTrue(r.errors.isEmpty(), r.errors.toString());
            } else {
                Await.until("closed", () -> closed.size() == 1);
                assertEquals(-1, s.getInputStream().read(), "closed with nothing sent");
                String expected = "sendmsg: " + name;
                if (errno == Errno.ECONNRESET) {
                    assertTrue(r.errors.isEmpty(), "a reset is ordinary: " + r.errors);
                    assertTrue(closeCauses.get(0).getMessage().contains(expected), closeCauses.toString());
                } else {
                    assertEquals(1, r.errors.size(), r.errors.toString());
                    assertTrue(r.errors.get(0).getMessage().contains(expected), r.errors.toString());
                }
            }
            assertEquals(1, Faults.fired(Call.WRITE));
            Await.until("every chunk back in the pool", () -> lent(r) == 0);
        }
    }

    /**
     * No memory for the slot's vector (its mmap fails): the output goes out a SEND per chunk, whole,
     * with one mmap tried, not one per send; once the back-off has passed, the next reply that spans
     * chunks maps it and takes fewer requests.
     */
    @Test
    void noMemoryForTheVectorSendsAChunkAtATime() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = connect(r)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write('a'); // the chunk pool's first slab is mapped: the next mmap is the vector's
            expect(in, 0, SIZES[0], 4096);
            long pos = SIZES[0];
            Faults.fail(Call.MMAP, Faults.ANY_FD, 0, Errno.ENOMEM, Integer.MAX_VALUE); // every mmap fails
            int size = 32 * CHUNK;
            long before = writes(r);
            out.write('a' + sizeIndex(size));
            expect(in, pos, size, 64 * 1024);
            pos += size;
            assertEquals(1, Faults.fired(Call.MMAP), "one mapping tried, then none until the back-off passes");
            assertTrue(writes(r) - before >= 32, "a SEND per chunk: " + (writes(r) - before));
            Faults.clear();
            Thread.sleep(SendVectors.RETRY_AFTER_NANOS / 1_000_000 + 50); // pacing: the back-off runs out
            before = writes(r);
            out.write('a' + sizeIndex(size));
            expect(in, pos, size, 64 * 1024);
            assertTrue(writes(r) - before <= 16, "SENDMSG again: " + (writes(r) - before));
            assertTrue(r.errors.isEmpty(), "memory short for a vector is no failure: " + r.errors);
        }
    }

    /**
     * Closing while a SENDMSG is in flight (the peer never reads): the slot stays retired, its
     * vector and chunks untouched, until the cancelled SENDMSG's completion; then all goes back.
     */
    @Test
    void closingWhileASendmsgIsInFlightKeepsItsMemoryUntilTheCompletion() throws Exception {
        assumeTrue(Backends.uring(), "io_uring unavailable here");
        try (LoopRunner r = new LoopRunner(URING, Trigger.LEVEL, this::replier); Socket s = slowPeer(r)) {
            Connection c = accepted.get(0);
            RingStream k = (RingStream) c.stream;
            UringEngine e = (UringEngine) r.loop.engine;
            int[] atClose = OnLoop.call(r.loop, () -> {
                c.close();
                return new int[] {e.retiredChannels(), k.chunks(), k.sending};
            });
            assertEquals(1, atClose[0], "retired until the SENDMSG completes");
            assertTrue(atClose[1] > 1 && atClose[2] > 0, "its chunks kept for the kernel: " + atClose[1]);
            Await.until("the SENDMSG's completion released the slot", () -> OnLoop.call(r.loop, () -> e.retiredChannels() == 0));
            Await.until("every chunk back in the pool", () -> lent(r) == 0);
            assertFalse(c.isOpen());
            assertNull(r.loop.terminationCause());
        }
    }
}
