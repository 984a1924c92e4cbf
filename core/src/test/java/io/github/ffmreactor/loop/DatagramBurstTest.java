package io.github.ffmreactor.loop;

import static io.github.ffmreactor.testutil.OnLoop.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import io.github.ffmreactor.sys.Mmsg;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.FdCount;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * UDP at burst rates: the receive buffer, recvmmsg/sendmmsg batches, truncation and kernel drops
 * counted, and the error paths of the batched calls (by the fault seam).
 */
@Timeout(60)
class DatagramBurstTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int BURST = 2_000;

    @AfterEach
    void restore() {
        Faults.clear();
        Datagram.useMmsg = Mmsg.available();
    }

    /** net.core.rmem_max, or -1 where it cannot be read. */
    static long rmemMax() {
        try {
            // Read whole: procfs files report size 0, which Files.readString trusts.
            try (var in = Files.newInputStream(Path.of("/proc/sys/net/core/rmem_max"))) {
                return Long.parseLong(new String(in.readAllBytes()).trim());
            }
        } catch (Exception e) {
            return -1;
        }
    }

    /** Counts datagrams; a datagram starting with 'M' is a marker. */
    static final class Counting implements DatagramHandler {
        final AtomicInteger markers = new AtomicInteger();

        @Override
        public void onDatagram(Datagram ch, MemorySegment buf, int len, Endpoint from) {
            if (len > 0 && buf.get(ValueLayout.JAVA_BYTE, 0) == 'M') markers.incrementAndGet();
        }
    }

    /**
     * Sends {@link #BURST} 64-byte datagrams while the loop is held busy (so nothing is read
     * during the burst and the socket's buffer alone decides what survives), lets the loop go,
     * then sends markers until one arrives: the kernel reports its drop count with each datagram
     * it delivers, so the marker carries the count of everything dropped before it. Returns the
     * datagrams sent in all.
     */
    static int burst(EventLoop loop, Datagram ch, Counting h) throws Exception {
        int port = ch.localAddress().getPort();
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        loop.execute(() -> {
            held.countDown();
            try {
                hold.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(10, TimeUnit.SECONDS), "loop held");
        int sent = 0;
        try (DatagramChannel c = DatagramChannel.open()) {
            c.bind(new InetSocketAddress(LOOPBACK, 0));
            InetSocketAddress to = new InetSocketAddress(LOOPBACK, port);
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            for (int i = 0; i < BURST; i++) {
                b.clear();
                b.put(0, (byte) 'D');
                c.send(b, to);
                sent++;
            }
            hold.countDown();
            // Markers, one every 20 ms, until one arrives (bounded: 250 tries, 5 s).
            for (int i = 0; i < 250 && h.markers.get() == 0; i++) {
                b.clear();
                b.put(0, (byte) 'M');
                c.send(b, to);
                sent++;
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                while (h.markers.get() == 0 && System.nanoTime() < until) Thread.onSpinWait();
            }
        } finally {
            hold.countDown();
        }
        assertTrue(h.markers.get() > 0, "a marker arrived");
        return sent;
    }

    @Test
    void burstArrivesWholeWithA4MiBReceiveBuffer() throws Exception {
        assumeTrue(Mmsg.available(), "SO_RXQ_OVFL and recvmmsg: Linux");
        int before = FdCount.now();
        int asked = 4 << 20;
        try (EventLoop loop = EventLoop.open()) {
            Counting h = new Counting();
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                    DatagramOptions.defaults().withReceiveBuffer(asked), h);
            loop.start("udp-burst");
            int granted = call(loop, ch::receiveBuffer);
            long max = rmemMax();
            // Linux doubles what is asked and clamps the request to rmem_max first.
            long expected = 2 * Math.min(asked, max);
            System.out.printf("SO_RCVBUF asked %d, rmem_max %d, granted %d%n", asked, max, granted);
            assertEquals(expected, granted, "asked " + asked + " with rmem_max " + max);
            int sent = burst(loop, ch, h);
            long received = call(loop, ch::received);
            long drops = call(loop, ch::kernelDrops);
            System.out.printf("rcvbuf %d: sent %d, received %d, kernel drops %d%n", granted, sent, received, drops);
            assertEquals(sent, received + drops, "every datagram is either received or counted as dropped");
            if (granted >= 8 << 20) {
                assertEquals(0, drops, "with 8 MiB granted, 2,000 small datagrams all fit");
                assertEquals(sent, received);
            } else {
                System.out.println("rmem_max " + max + " is below 4 MiB: granted " + granted + ", so only the accounting is asserted");
            }
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void withTheDefaultBufferTheDropCounterIsExactlyWhatWasLost() throws Exception {
        assumeTrue(Mmsg.available(), "SO_RXQ_OVFL and recvmmsg: Linux");
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open()) {
            Counting h = new Counting();
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0), h);
            loop.start("udp-burst");
            int granted = call(loop, ch::receiveBuffer);
            int sent = burst(loop, ch, h);
            long received = call(loop, ch::received);
            long drops = call(loop, ch::kernelDrops);
            System.out.printf("default rcvbuf %d: sent %d, received %d, kernel drops %d%n", granted, sent, received, drops);
            assertTrue(drops > 0, "a 2,000-datagram burst overflows a " + granted + "-byte buffer");
            assertEquals(sent - received, drops, "the drop counter is exactly what was lost");
        }
        FdCount.assertBackTo(before);
    }

    record Cut(int kept, int length, String text) {}

    /** Keeps 100 bytes: 100 arrive whole, 101 and 150 are cut and reported, never passed as whole. */
    @ParameterizedTest(name = "mmsg={0}")
    @ValueSource(booleans = {true, false})
    void truncationIsCountedAndReported(boolean mmsg) throws Exception {
        assumeTrue(!mmsg || Mmsg.available(), "recvmmsg: Linux");
        Datagram.useMmsg = mmsg;
        List<Integer> whole = new CopyOnWriteArrayList<>();
        List<Cut> cut = new CopyOnWriteArrayList<>();
        try (EventLoop loop = EventLoop.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                    DatagramOptions.defaults().withMaxDatagram(100), new DatagramHandler() {
                        @Override
                        public void onDatagram(Datagram c, MemorySegment buf, int len, Endpoint from) {
                            whole.add(len);
                        }

                        @Override
                        public void onTruncated(Datagram c, MemorySegment buf, int kept, int length, Endpoint from) {
                            byte[] b = new byte[kept];
                            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, 0, kept);
                            cut.add(new Cut(kept, length, new String(b, java.nio.charset.StandardCharsets.US_ASCII)));
                        }
                    });
            assertEquals(mmsg, ch.batched());
            int port = ch.localAddress().getPort();
            loop.start("udp-trunc");
            try (DatagramChannel c = DatagramChannel.open()) {
                InetSocketAddress to = new InetSocketAddress(LOOPBACK, port);
                c.send(ByteBuffer.wrap("a".repeat(100).getBytes()), to);
                c.send(ByteBuffer.wrap("b".repeat(101).getBytes()), to);
                c.send(ByteBuffer.wrap("c".repeat(150).getBytes()), to);
                Await.until("three datagrams", () -> whole.size() + cut.size() == 3);
            }
            assertEquals(List.of(100), whole);
            // The real length where the OS says it (recvmmsg with MSG_TRUNC); -1 from recvfrom.
            assertEquals(List.of(new Cut(100, mmsg ? 101 : -1, "b".repeat(100)), new Cut(100, mmsg ? 150 : -1, "c".repeat(100))), cut);
            assertEquals(2L, (long) call(loop, ch::truncated));
            assertEquals(3L, (long) call(loop, ch::received));
        }
    }

    /** Three replies per datagram, queued in the batch and sent by sendmmsg; counters add up. */
    @Test
    void repliesQueuedInOneBatchAllArrive() throws Exception {
        assumeTrue(Mmsg.available(), "sendmmsg: Linux");
        try (EventLoop loop = EventLoop.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0), DatagramOptions.defaults().withBatch(4),
                    (c, buf, len, from) -> {
                        for (int k = 0; k < 3; k++) {
                            buf.set(ValueLayout.JAVA_BYTE, 1, (byte) ('0' + k));
                            assertEquals(len, c.sendTo(buf, 0, len, from)); // queued: len at once
                        }
                    });
            int port = ch.localAddress().getPort();
            loop.start("udp-tx");
            int n = 50;
            try (DatagramChannel c = DatagramChannel.open()) {
                c.bind(new InetSocketAddress(LOOPBACK, 0));
                c.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
                InetSocketAddress to = new InetSocketAddress(LOOPBACK, port);
                for (int i = 0; i < n; i++) c.send(ByteBuffer.wrap(new byte[] {(byte) i, 'x'}), to);
                c.socket().setSoTimeout(5000);
                int[] seen = new int[3];
                ByteBuffer b = ByteBuffer.allocate(16);
                for (int i = 0; i < 3 * n; i++) {
                    b.clear();
                    java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[16], 16);
                    c.socket().receive(p);
                    seen[p.getData()[1] - '0']++;
                }
                assertEquals(List.of(n, n, n), List.of(seen[0], seen[1], seen[2]));
            }
            assertEquals(3L * n, (long) call(loop, ch::sent));
            assertEquals(0L, (long) call(loop, ch::dropped));
        }
    }

    /** A handler that replies and then closes: the queued reply still goes out. */
    @Test
    void closingInAHandlerFlushesWhatItSent() throws Exception {
        int before = FdCount.now();
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        try (EventLoop loop = EventLoop.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0), new DatagramHandler() {
                @Override
                public void onDatagram(Datagram c, MemorySegment buf, int len, Endpoint from) {
                    c.sendTo(buf, 0, len, from);
                    c.close();
                }

                @Override
                public void onClose(Datagram c, Throwable cause) {
                    closed.complete(cause);
                }
            });
            int port = ch.localAddress().getPort();
            loop.start("udp-close");
            try (java.net.DatagramSocket c = new java.net.DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                c.setSoTimeout(5000);
                c.send(new java.net.DatagramPacket(new byte[] {42}, 1, LOOPBACK, port));
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[4], 4);
                c.receive(p);
                assertEquals(42, p.getData()[0]);
            }
            assertNull(closed.get(5, TimeUnit.SECONDS));
        }
        FdCount.assertBackTo(before);
    }

    /** Larger than the send batch's whole area (and than any UDP datagram): sent directly, refused, counted. */
    @Test
    void aReplyTooLargeForTheBatchGoesStraightToSendtoAndIsCountedWhenRefused() throws Exception {
        assumeTrue(Mmsg.available(), "sendmmsg: Linux");
        CompletableFuture<Long> result = new CompletableFuture<>();
        try (EventLoop loop = EventLoop.open(); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            MemorySegment big = arena.allocate(Datagram.SEND_AREA + 1000);
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                    (c, buf, len, from) -> result.complete(c.sendTo(big, 0, big.byteSize(), from)));
            int port = ch.localAddress().getPort();
            loop.start("udp-big");
            try (DatagramChannel c = DatagramChannel.open()) {
                c.send(ByteBuffer.wrap(new byte[] {1}), new InetSocketAddress(LOOPBACK, port));
                assertEquals(-Errno.EMSGSIZE, (long) result.get(5, TimeUnit.SECONDS));
            }
            assertEquals(1L, (long) call(loop, ch::dropped));
        }
    }

    // ---- error paths, by the fault seam ------------------------------------------------------------

    @Test
    void recvmmsgFailingClosesTheSocketNamingTheCall() throws Exception {
        assumeTrue(Mmsg.available() && Faults.ENABLED, "recvmmsg (Linux) and -Dffmreactor.faults=true");
        int before = FdCount.now();
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        try (EventLoop loop = EventLoop.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0), new DatagramHandler() {
                @Override
                public void onDatagram(Datagram c, MemorySegment buf, int len, Endpoint from) {}

                @Override
                public void onClose(Datagram c, Throwable cause) {
                    closed.complete(cause);
                }
            });
            int port = ch.localAddress().getPort();
            // EINTR first (goes on: the datagram is read on the next call), then ENOMEM (fatal to the socket).
            Faults.fail(Faults.Call.RECVMMSG, ch.fd(), 0, Errno.EINTR, 1);
            loop.start("udp-fault");
            try (DatagramChannel c = DatagramChannel.open()) {
                InetSocketAddress to = new InetSocketAddress(LOOPBACK, port);
                c.send(ByteBuffer.wrap(new byte[] {1}), to);
                Await.until("the datagram after EINTR", () -> call(loop, ch::received) == 1L);
                assertFalse(closed.isDone());
                Faults.fail(Faults.Call.RECVMMSG, ch.fd(), 0, Errno.ENOMEM, 1);
                c.send(ByteBuffer.wrap(new byte[] {2}), to);
                Throwable t = closed.get(5, TimeUnit.SECONDS);
                assertTrue(t instanceof NativeException, String.valueOf(t));
                assertTrue(t.getMessage().startsWith("recvmmsg: ENOMEM"), t.getMessage());
            }
            assertEquals(2, Faults.fired(Faults.Call.RECVMMSG));
            assertFalse(ch.isOpen());
        }
        FdCount.assertBackTo(before);
    }

    /** sendmmsg refusing one entry drops it and sends the rest; EAGAIN drops the rest of the batch. */
    @Test
    void sendmmsgFailuresDropAndCount() throws Exception {
        assumeTrue(Mmsg.available() && Faults.ENABLED, "sendmmsg (Linux) and -Dffmreactor.faults=true");
        try (EventLoop loop = EventLoop.open()) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0), (c, buf, len, from) -> {
                for (int k = 0; k < 3; k++) c.sendTo(buf, 0, len, from); // three replies, one batch
            });
            int port = ch.localAddress().getPort();
            loop.start("udp-txfault");
            try (java.net.DatagramSocket c = new java.net.DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                c.setSoTimeout(5000);
                // First call of the flush fails with EPERM: entry 0 is dropped, the next call sends 1 and 2.
                Faults.fail(Faults.Call.SENDMMSG, ch.fd(), 0, Errno.EPERM, 1);
                c.send(new java.net.DatagramPacket(new byte[] {1}, 1, LOOPBACK, port));
                for (int i = 0; i < 2; i++) c.receive(new java.net.DatagramPacket(new byte[4], 4));
                Await.until("counters", () -> call(loop, ch::sent) == 2L && call(loop, ch::dropped) == 1L);
                // EAGAIN: the send buffer is full, so the whole batch is dropped (never queued).
                Faults.fail(Faults.Call.SENDMMSG, ch.fd(), 0, Errno.EAGAIN, 1);
                c.send(new java.net.DatagramPacket(new byte[] {2}, 1, LOOPBACK, port));
                Await.until("three more dropped", () -> call(loop, ch::dropped) == 4L);
                c.setSoTimeout(100);
                assertThrows(SocketTimeoutException.class, () -> c.receive(new java.net.DatagramPacket(new byte[4], 4)));
                assertEquals(2L, (long) call(loop, ch::sent));
            }
        }
    }

    @Test
    void aRefusedSocketOptionFailsTheOpenAndLeavesNoFd() throws Exception {
        assumeTrue(Faults.ENABLED, "-Dffmreactor.faults=true");
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open()) {
            // The first setsockopt of the open is SO_RCVBUF, the second (Linux) SO_RXQ_OVFL.
            Faults.fail(Faults.Call.SETSOCKOPT, Faults.ANY_FD, 0, Errno.ENOBUFS, 1);
            NativeException e = assertThrows(NativeException.class, () -> loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                    DatagramOptions.defaults().withReceiveBuffer(1 << 20), (c, buf, len, from) -> {}));
            assertTrue(e.getMessage().startsWith("setsockopt(SO_RCVBUF): ENOBUFS"), e.getMessage());
            if (io.github.ffmreactor.net.Udp.COUNTS_DROPS) {
                Faults.fail(Faults.Call.SETSOCKOPT, Faults.ANY_FD, 0, Errno.EPERM, 1);
                e = assertThrows(NativeException.class, () -> loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                        (c, buf, len, from) -> {}));
                assertTrue(e.getMessage().startsWith("setsockopt(SO_RXQ_OVFL): EPERM"), e.getMessage());
            }
        }
        FdCount.assertBackTo(before);
    }

    /**
     * The batches cannot be allocated (native memory runs out): the open fails with the error, the
     * socket is closed again, the batch memory already taken is freed, and the loop goes on. In a
     * child JVM that caps its own address space.
     */
    @Test
    void batchesThatCannotBeAllocatedLeaveNothingBehind() throws Exception {
        assumeTrue(Mmsg.available(), "recvmmsg batches: Linux");
        Process p = new ProcessBuilder(io.github.ffmreactor.testutil.ServerProcess.java(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DatagramOutOfMemoryChild.class.getName()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertTrue(out.lines().anyMatch(l -> l.startsWith("ok caught fds ")), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> DatagramOptions.defaults().withBatch(0));
        assertThrows(IllegalArgumentException.class, () -> DatagramOptions.defaults().withBatch(1025));
        assertThrows(IllegalArgumentException.class, () -> DatagramOptions.defaults().withMaxDatagram(65_536));
        assertThrows(IllegalArgumentException.class, () -> DatagramOptions.defaults().withReceiveBuffer(-1));
    }
}
