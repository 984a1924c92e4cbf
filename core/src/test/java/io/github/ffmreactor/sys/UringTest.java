package io.github.ffmreactor.sys;

import static io.github.ffmreactor.sys.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.NativeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The io_uring ring against the running kernel: NOP round trip, setup flags and probe, multishot
 * accept, multishot recv from a provided buffer ring (F_MORE, buffer ids recycled, ENOBUFS when
 * dry, EOF), send, cancel of a multishot recv, failing and timed-out enters, setup failures, and
 * a submit/complete path that allocates nothing.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UringTest {
    private static final SocketConsts C = SocketConsts.CURRENT;

    private Arena arena;
    private MemorySegment cs;
    private final List<Integer> fds = new ArrayList<>();

    /** One CQE, copied out. */
    record Cqe(long userData, int res, int flags) {
        boolean more() {
            return (flags & CQE_F_MORE) != 0;
        }

        int bid() {
            assertTrue((flags & CQE_F_BUFFER) != 0, "CQE has a buffer: " + this);
            return UringBufRing.bufferId(flags);
        }
    }

    @BeforeEach
    void setUp() {
        assumeTrue(Uring.available(), () -> "io_uring unavailable: " + Uring.unavailableReason());
        arena = Arena.ofConfined();
        cs = Native.callState(arena);
    }

    @AfterEach
    void tearDown() {
        Faults.clear();
        for (int fd : fds) Unistd.close(cs, fd);
        if (arena != null) arena.close();
    }

    private int track(int fd) {
        assertTrue(fd >= 0, "fd: " + Errno.describe(-fd));
        fds.add(fd);
        return fd;
    }

    /** A listening TCP socket on 127.0.0.1, ephemeral port; returns {fd, port}. */
    private int[] listener() {
        int fd = track(Sockets.socket(cs, C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0));
        MemorySegment sa = arena.allocate(SockAddr.SIZEOF_STORAGE);
        int len = SockAddr.encode(C, sa, new byte[] {127, 0, 0, 1}, 0, 0);
        assertEquals(0, Sockets.bind(cs, fd, sa, len));
        assertEquals(0, Sockets.listen(cs, fd, 16));
        MemorySegment lenIo = arena.allocate(JAVA_INT);
        lenIo.set(JAVA_INT, 0, SockAddr.SIZEOF_STORAGE);
        assertEquals(0, Sockets.getsockname(cs, fd, sa, lenIo));
        return new int[] {fd, SockAddr.port(sa)};
    }

    /** A connected pair: the native accepted fd (the ring's side) and a java.net.Socket peer. */
    private record Pair(int fd, Socket peer) {}

    private Pair pair(List<Socket> peers) throws Exception {
        int[] l = listener();
        Socket s = new Socket(InetAddress.getLoopbackAddress(), l[1]);
        s.setSoTimeout(10_000);
        peers.add(s);
        int fd = track(Sockets.accept4(cs, l[0], MemorySegment.NULL, MemorySegment.NULL, C.SOCK_CLOEXEC()));
        return new Pair(fd, s);
    }

    /** Waits (bounded) until at least {@code n} CQEs arrived and returns them all. */
    private static List<Cqe> await(Uring ring, int n) {
        List<Cqe> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (out.size() < n) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + n + " CQEs, got " + out);
            int r = ring.submitAndWait(1, TimeUnit.MILLISECONDS.toNanos(100));
            assertTrue(r >= 0 || r == -ETIME, "io_uring_enter: " + Errno.describe(-r));
            ring.drain((ud, res, fl) -> out.add(new Cqe(ud, res, fl)));
        }
        return out;
    }

    /** Collects CQEs until one of {@code userData} without F_MORE, which is the last returned. */
    private static List<Cqe> untilFinal(Uring ring, long userData) {
        List<Cqe> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (out.isEmpty() || out.getLast().userData() != userData || out.getLast().more()) {
            assertTrue(System.nanoTime() < deadline, "no final CQE for " + userData + ": " + out);
            int r = ring.submitAndWait(1, TimeUnit.MILLISECONDS.toNanos(100));
            assertTrue(r >= 0 || r == -ETIME, "io_uring_enter: " + Errno.describe(-r));
            int n = ring.cqReady();
            for (int i = 0; i < n; i++) {
                out.add(new Cqe(ring.cqeUserData(i), ring.cqeRes(i), ring.cqeFlags(i)));
                ring.cqAdvance(1);
                i--;
                n--;
                Cqe c = out.getLast();
                if (c.userData() == userData && !c.more()) return out;
            }
        }
        return out;
    }

    @Test
    void nopRoundTripSetupFlagsAndProbe() throws Exception {
        int fd;
        try (Uring ring = Uring.open(8)) {
            fd = ring.fd;
            // This kernel (6.1+) takes the first step; older ones log each fallback once.
            assertTrue(ring.deferTaskrun(), "setup flags " + Integer.toHexString(ring.setupFlags));
            assertTrue((ring.features & FEAT_SINGLE_MMAP) != 0 && (ring.features & FEAT_EXT_ARG) != 0);
            assertEquals(8, ring.sqEntries);
            assertEquals(16, ring.cqEntries);
            assertTrue(ring.supports(OP_NOP) && ring.supports(OP_RECV) && ring.supports(OP_MSG_RING));
            assertFalse(ring.supports(255));
            for (int i = 0; i < 3; i++) assertTrue(ring.prepNop(100 + i));
            assertEquals(3, ring.pending());
            assertEquals(3, ring.submitAndWait(3, -1));
            assertEquals(0, ring.pending());
            List<Cqe> got = await(ring, 3);
            assertEquals(List.of(new Cqe(100, 0, 0), new Cqe(101, 0, 0), new Cqe(102, 0, 0)), got);
            assertEquals(0, ring.cqReady());
            // A full SQ says so; submitting frees it.
            for (int i = 0; i < 8; i++) assertTrue(ring.prepNop(i));
            assertFalse(ring.prepNop(9));
            assertEquals(8, ring.submit());
            assertTrue(ring.prepNop(9));
            assertEquals(9, await(ring, 9).size());
        }
        assertEquals(-Errno.EBADF, Unistd.fcntl(cs, fd, Unistd.F_GETFD, 0), "ring fd closed");
    }

    @Test
    void waitTimesOutWithEtime() throws Exception {
        try (Uring ring = Uring.open(4)) {
            long t0 = System.nanoTime();
            assertEquals(-ETIME, ring.submitAndWait(1, TimeUnit.MILLISECONDS.toNanos(50)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40), "waited");
            assertEquals(0, ring.submitAndWait(0, 0), "no wait");
        }
    }

    @Test
    void multishotAccept() throws Exception {
        List<Socket> peers = new ArrayList<>();
        try (Uring ring = Uring.open(8)) {
            int[] l = listener();
            assertTrue(ring.prepAccept(l[0], true, C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 1));
            assertEquals(1, ring.submit());
            for (int i = 0; i < 3; i++) peers.add(new Socket(InetAddress.getLoopbackAddress(), l[1]));
            List<Cqe> got = await(ring, 3);
            for (Cqe c : got) {
                assertEquals(1, c.userData());
                assertTrue(c.res() >= 0, "accepted fd: " + c);
                track(c.res());
                assertTrue(c.more(), "still armed: " + c);
            }
            assertTrue(ring.prepCancel(1, 0, 2));
            List<Cqe> end = untilFinal(ring, 1);
            assertTrue(end.contains(new Cqe(2, 0, 0)), "cancel found it: " + end);
            assertEquals(-ECANCELED, end.getLast().res());
        } finally {
            for (Socket s : peers) s.close();
        }
    }

    @Test
    void multishotRecvRecyclesProvidedBuffers() throws Exception {
        List<Socket> peers = new ArrayList<>();
        try (Uring ring = Uring.open(8); Arena bufs = Arena.ofConfined()) {
            Pair p = pair(peers);
            try (UringBufRing br = UringBufRing.register(ring, 1, 4, 64, bufs)) {
                assertTrue(ring.prepRecvMultishot(p.fd(), br.bgid, 0, 7));
                assertEquals(1, ring.submit());
                OutputStream out = p.peer().getOutputStream();
                List<Integer> bids = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    byte[] msg = ("message " + i).getBytes(StandardCharsets.US_ASCII);
                    out.write(msg);
                    out.flush();
                    List<Cqe> got = await(ring, 1);
                    assertEquals(1, got.size(), "one recv per message: " + got);
                    Cqe c = got.getFirst();
                    assertEquals(msg.length, c.res(), "" + c);
                    assertTrue(c.more(), "multishot stays armed: " + c);
                    byte[] in = new byte[c.res()];
                    MemorySegment.copy(br.buffers(), JAVA_BYTE, br.offset(c.bid()), in, 0, in.length);
                    assertArrayEquals(msg, in);
                    bids.add(c.bid());
                    br.recycle(c.bid());
                }
                // 10 messages through 4 buffers: ids came back and were used again.
                assertEquals(4, bids.stream().distinct().count(), "bids " + bids);
                p.peer().shutdownOutput();
                List<Cqe> end = untilFinal(ring, 7);
                Cqe eof = end.getLast();
                assertEquals(0, eof.res(), "EOF ends the multishot recv: " + end);
                assertFalse(eof.more());
            }
        } finally {
            for (Socket s : peers) s.close();
        }
    }

    @Test
    void dryBufferRingEndsRecvWithEnobufs() throws Exception {
        List<Socket> peers = new ArrayList<>();
        try (Uring ring = Uring.open(8); Arena bufs = Arena.ofConfined()) {
            Pair p = pair(peers);
            try (UringBufRing br = UringBufRing.register(ring, 3, 2, 8, bufs)) {
                p.peer().getOutputStream().write(new byte[64]);
                assertTrue(ring.prepRecvMultishot(p.fd(), br.bgid, 0, 9));
                List<Cqe> got = untilFinal(ring, 9);
                Cqe last = got.getLast();
                assertEquals(-Errno.ENOBUFS, last.res(), "" + got);
                assertFalse(last.more());
                assertEquals(3, got.size(), "two buffers filled, then ENOBUFS: " + got);
                assertEquals(8, got.get(0).res());
                assertEquals(8, got.get(1).res());
                assertNotEquals(got.get(0).bid(), got.get(1).bid());
                // Recycled and armed again: the next 16 of the 48 bytes left, and dry again.
                br.recycle(got.get(0).bid());
                br.recycle(got.get(1).bid());
                assertTrue(ring.prepRecvMultishot(p.fd(), br.bgid, 0, 10));
                List<Cqe> again = untilFinal(ring, 10);
                assertEquals(3, again.size(), "" + again);
                assertEquals(8, again.get(0).res());
                assertEquals(8, again.get(1).res());
                assertEquals(-Errno.ENOBUFS, again.get(2).res());
            }
        } finally {
            for (Socket s : peers) s.close();
        }
    }

    @Test
    void sendAndCancelOfAMultishotRecv() throws Exception {
        List<Socket> peers = new ArrayList<>();
        try (Uring ring = Uring.open(8); Arena bufs = Arena.ofConfined()) {
            Pair p = pair(peers);
            MemorySegment msg = bufs.allocate(16);
            byte[] ping = "ping!".getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(ping, 0, msg, JAVA_BYTE, 3, ping.length);
            assertTrue(ring.prepSend(p.fd(), msg, 3, ping.length, C.MSG_NOSIGNAL(), 20));
            assertEquals(List.of(new Cqe(20, ping.length, 0)), await(ring, 1));
            InputStream in = p.peer().getInputStream();
            assertArrayEquals(ping, in.readNBytes(ping.length));

            try (UringBufRing br = UringBufRing.register(ring, 2, 2, 32, bufs)) {
                assertTrue(ring.prepRecvMultishot(p.fd(), br.bgid, 0, 21));
                assertEquals(1, ring.submit());
                assertTrue(ring.prepCancel(21, 0, 22));
                List<Cqe> got = untilFinal(ring, 21);
                assertTrue(got.contains(new Cqe(22, 0, 0)), "cancel found one request: " + got);
                Cqe last = got.getLast();
                assertEquals(-ECANCELED, last.res(), "" + got);
                assertFalse(last.more());
                // Nothing left to cancel.
                assertTrue(ring.prepCancel(21, 0, 23));
                assertEquals(List.of(new Cqe(23, -Errno.ENOENT, 0)), await(ring, 1));
            }
        } finally {
            for (Socket s : peers) s.close();
        }
    }

    /** One SENDMSG of three iovecs (the middle one at an offset) moves their bytes in order, one CQE. */
    @Test
    void sendmsgOfSeveralIovecs() throws Exception {
        List<Socket> peers = new ArrayList<>();
        try (Uring ring = Uring.open(8); Arena bufs = Arena.ofConfined()) {
            Pair p = pair(peers);
            MemorySegment v = bufs.allocate(sendVectorBytes(3), 8);
            initSendVector(v);
            byte[][] parts = {"one ".getBytes(StandardCharsets.US_ASCII), "xxtwo ".getBytes(StandardCharsets.US_ASCII),
                "three".getBytes(StandardCharsets.US_ASCII)};
            int total = 0;
            for (int i = 0; i < 3; i++) {
                MemorySegment b = bufs.allocate(parts[i].length);
                MemorySegment.copy(parts[i], 0, b, JAVA_BYTE, 0, parts[i].length);
                int off = i == 1 ? 2 : 0;
                setIovec(v, i, b, off, parts[i].length - off);
                total += parts[i].length - off;
            }
            assertTrue(ring.prepSendmsg(p.fd(), v, 3, C.MSG_NOSIGNAL(), 30));
            assertEquals(List.of(new Cqe(30, total, 0)), await(ring, 1));
            assertArrayEquals("one two three".getBytes(StandardCharsets.US_ASCII), p.peer().getInputStream().readNBytes(total));
            // Only the first iovecs named by the count go.
            assertTrue(ring.prepSendmsg(p.fd(), v, 1, C.MSG_NOSIGNAL(), 31));
            assertEquals(List.of(new Cqe(31, 4, 0)), await(ring, 1));
            assertArrayEquals("one ".getBytes(StandardCharsets.US_ASCII), p.peer().getInputStream().readNBytes(4));
        } finally {
            for (Socket s : peers) s.close();
        }
    }

    /** A non-blocking, unconnected TCP socket for IORING_OP_CONNECT. */
    private int connectingSocket() {
        return track(Sockets.socket(cs, C.AF_INET(), C.SOCK_STREAM() | C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 0));
    }

    private MemorySegment loopback(int port) {
        MemorySegment sa = arena.allocate(SockAddr.SIZEOF_STORAGE);
        SockAddr.encode(C, sa, new byte[] {127, 0, 0, 1}, port, 0);
        return sa;
    }

    /**
     * IORING_OP_CONNECT on a non-blocking socket: the kernel waits out EINPROGRESS itself and
     * completes with the handshake's result (0, or -ECONNREFUSED); a connect that hangs (SYNs
     * dropped by a full accept queue) ends with -ECANCELED when cancelled by its fd.
     */
    @Test
    void connectCompletesWithTheHandshakesResultAndIsCancelledByFd() throws Exception {
        try (Uring ring = Uring.open(8)) {
            assertTrue(ring.supports(OP_CONNECT));
            int[] l = listener();
            int fd = connectingSocket();
            assertTrue(ring.prepConnect(fd, loopback(l[1]), SockAddr.SIZEOF_IN, 30));
            assertEquals(List.of(new Cqe(30, 0, 0)), await(ring, 1));

            int refusedPort;
            try (java.net.ServerSocket gone = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                refusedPort = gone.getLocalPort();
            }
            fd = connectingSocket();
            assertTrue(ring.prepConnect(fd, loopback(refusedPort), SockAddr.SIZEOF_IN, 31));
            assertEquals(List.of(new Cqe(31, -Errno.ECONNREFUSED, 0)), await(ring, 1));

            // A listener that never accepts, backlog 0: once its queue is full, further SYNs are dropped.
            int quiet = track(Sockets.socket(cs, C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0));
            MemorySegment sa = loopback(0);
            assertEquals(0, Sockets.bind(cs, quiet, sa, SockAddr.SIZEOF_IN));
            assertEquals(0, Sockets.listen(cs, quiet, 0));
            MemorySegment lenIo = arena.allocate(JAVA_INT);
            lenIo.set(JAVA_INT, 0, SockAddr.SIZEOF_STORAGE);
            assertEquals(0, Sockets.getsockname(cs, quiet, sa, lenIo));
            int hanging = -1;
            for (int i = 0; i < 8 && hanging < 0; i++) {
                int k = connectingSocket();
                assertTrue(ring.prepConnect(k, sa, SockAddr.SIZEOF_IN, 40 + i));
                ring.submitAndWait(1, TimeUnit.MILLISECONDS.toNanos(300));
                List<Cqe> got = new ArrayList<>();
                ring.drain((ud, res, fl) -> got.add(new Cqe(ud, res, fl)));
                if (got.isEmpty()) hanging = k;
                else assertEquals(List.of(new Cqe(40 + i, 0, 0)), got, "took the queue's place");
            }
            assertTrue(hanging >= 0, "every connect completed: the kernel did not drop SYNs");
            assertTrue(ring.prep(OP_ASYNC_CANCEL, 0, 0, hanging, 0, 0, 0, ASYNC_CANCEL_FD | ASYNC_CANCEL_ALL, 0, 50));
            List<Cqe> got = await(ring, 2);
            Cqe connect = got.stream().filter(c -> c.userData() != 50).findFirst().orElseThrow();
            Cqe cancel = got.stream().filter(c -> c.userData() == 50).findFirst().orElseThrow();
            assertEquals(-ECANCELED, connect.res(), "" + got);
            assertEquals(0, connect.flags());
            assertEquals(1, cancel.res(), "with ASYNC_CANCEL_ALL the cancel's res counts what it cancelled: " + got);
        }
    }

    @Test
    void failedEnterReturnsErrno() throws Exception {
        assertEquals(-Errno.EBADF, IoUring.enter(cs, -1, 0, 1, ENTER_GETEVENTS, 0, 0), "no ring fd");
        assertEquals(-Errno.EBADF, IoUring.enter(cs, -1, 0, 0, 0, 0, 0), "no ring fd, no wait");
        try (Uring ring = Uring.open(4)) {
            int notRing = track(Sockets.socket(cs, C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0));
            assertEquals(-Errno.CURRENT.get("EOPNOTSUPP"), IoUring.enter(cs, notRing, 0, 0, ENTER_GETEVENTS, 0, 0), "not a ring");
            Faults.fail(Faults.Call.WAIT, ring.fd, 0, Errno.ENOMEM, 1);
            assertTrue(ring.prepNop(1));
            assertEquals(-Errno.ENOMEM, ring.submitAndWait(1, -1), "injected");
            assertEquals(1, ring.pending(), "the SQE is still there");
            assertEquals(1, ring.submitAndWait(1, -1));
            assertEquals(1, await(ring, 1).size());
            if (ring.deferTaskrun()) {
                // SINGLE_ISSUER: another thread's enter is refused.
                int r = CompletableFuture.supplyAsync(() -> IoUring.enter(Native.threadCallState(), ring.fd, 0, 0,
                        ENTER_GETEVENTS, 0, 0)).get(10, TimeUnit.SECONDS);
                assertEquals(-EEXIST, r);
            }
        }
    }

    @Test
    void setupFailuresNameTheCallAndTheCause() {
        Faults.fail(Faults.Call.RING_SETUP, Faults.ANY_FD, 0, Errno.EPERM, 1);
        NativeException e = assertThrows(NativeException.class, () -> Uring.open(4));
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("io_uring_setup") && e.getMessage().contains("io_uring_disabled"), e.getMessage());
        Faults.fail(Faults.Call.RING_SETUP, Faults.ANY_FD, 0, Errno.ENOSYS, 1);
        e = assertThrows(NativeException.class, () -> Uring.open(4));
        assertTrue(e.getMessage().contains("seccomp"), e.getMessage());
        Faults.fail(Faults.Call.RING_SETUP, Faults.ANY_FD, 0, Errno.ENOMEM, 1);
        e = assertThrows(NativeException.class, () -> Uring.open(4));
        assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Uring.open(3));
        assertThrows(IllegalArgumentException.class, () -> Uring.open(65536));
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static long sum;

    private static void rounds(Uring ring, Uring.CqeHandler h, int n) {
        for (int i = 0; i < n; i++) {
            ring.prepNop(i);
            ring.prepNop(i + 1);
            ring.submitAndWait(2, 1_000_000_000L);
            int k = ring.cqReady();
            for (int j = 0; j < k; j++) sum += ring.cqeUserData(j) + ring.cqeRes(j) + ring.cqeFlags(j);
            ring.cqAdvance(k);
            ring.prepNop(i);
            ring.submitAndWait(1, -1);
            ring.drain(h);
        }
    }

    /** A connected TCP pair of native fds on 127.0.0.1: {client, accepted}. */
    private int[] nativePair() {
        int[] l = listener();
        int c = track(Sockets.socket(cs, C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0));
        MemorySegment sa = arena.allocate(SockAddr.SIZEOF_STORAGE);
        int len = SockAddr.encode(C, sa, new byte[] {127, 0, 0, 1}, l[1], 0);
        assertEquals(0, Sockets.connect(cs, c, sa, len));
        int a = track(Sockets.accept4(cs, l[0], MemorySegment.NULL, MemorySegment.NULL, C.SOCK_CLOEXEC()));
        return new int[] {c, a};
    }

    private static final class Echo implements Uring.CqeHandler {
        UringBufRing br;
        int received, sends, rearm;

        @Override
        public void onCqe(long userData, int res, int flags) {
            if (userData == 1) {
                sends++;
            } else if (res > 0) {
                received += res;
                br.recycle(UringBufRing.bufferId(flags));
                if ((flags & CQE_F_MORE) == 0) rearm++;
            } else {
                rearm++;
            }
        }
    }

    /** {@code n} sends of 32 bytes from {@code from}, each received by the multishot recv on {@code to}. */
    private static void echoRounds(Uring ring, Echo e, int from, int to, MemorySegment msg, int n) {
        for (int i = 0; i < n; i++) {
            int want = e.received + 32;
            ring.prepSend(from, msg, 0, 32, 0, 1);
            while (e.received < want) {
                if (e.rearm > 0) {
                    e.rearm = 0;
                    ring.prepRecvMultishot(to, e.br.bgid, 0, 2);
                }
                int r = ring.submitAndWait(1, 1_000_000_000L);
                if (r < 0 && r != -ETIME) throw new AssertionError("io_uring_enter: " + r);
                ring.drain(e);
            }
        }
    }

    @Test
    void sendAndMultishotRecvAllocateNothing() throws Exception {
        try (Uring ring = Uring.open(8); Arena bufs = Arena.ofConfined()) {
            int[] p = nativePair();
            try (UringBufRing br = UringBufRing.register(ring, 4, 8, 256, bufs)) {
                Echo e = new Echo();
                e.br = br;
                MemorySegment msg = bufs.allocate(32);
                assertTrue(ring.prepRecvMultishot(p[1], br.bgid, 0, 2));
                echoRounds(ring, e, p[0], p[1], msg, 100_000); // warm up
                long before = allocated();
                echoRounds(ring, e, p[0], p[1], msg, 50_000);
                long after = allocated();
                assertTrue(after - before < 50_000, "allocated " + (after - before) + " bytes in 50k send+recv rounds");
                assertEquals(150_000 * 32, e.received);
                Unistd.close(cs, p[0]); // EOF ends the recv before the buffer ring goes
                fds.remove(Integer.valueOf(p[0]));
                untilFinal(ring, 2);
            }
        }
    }

    @Test
    void submitAndCompleteAllocateNothing() throws Exception {
        try (Uring ring = Uring.open(8)) {
            Uring.CqeHandler h = (ud, res, fl) -> sum += ud;
            rounds(ring, h, 200_000); // warm up: C2 compiles the path
            long before = allocated();
            rounds(ring, h, 100_000);
            long after = allocated();
            assertTrue(after - before < 100_000, "allocated " + (after - before) + " bytes in 100k rounds");
        }
    }
}
