package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.testutil.FdCount;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The typed public surface: Backend, the LoopOptions builder, LoopStats, attachments. */
@Timeout(30)
class ApiTypesTest {
    @Test
    void backendNamesParseOneWayAndABadOneListsTheValidNames() {
        for (Backend b : Backend.values()) {
            assertEquals(b, Backend.parse(b.id()));
            assertEquals(b, Backend.parse(" " + b.id().toUpperCase() + " "));
            assertEquals(b.id(), b.toString());
        }
        assertEquals("io_uring", Backend.IO_URING.id());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.parse("iocp"));
        assertEquals("unknown backend 'iocp' (valid: auto, epoll, kqueue, poll, select, io_uring)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backend.parse(null));
    }

    @Test
    void availableIsWhatThePollLayerOffersThenIoUringAndNeverAuto() {
        List<Backend> a = Backend.available();
        assertFalse(a.isEmpty());
        assertFalse(a.contains(Backend.AUTO));
        assertEquals(Poller.available(), a.stream().filter(b -> b != Backend.IO_URING).map(Backend::id).toList());
        assertEquals(a, EventLoop.backends());
        // Every backend the poll layer knows has a name here (the one mapping).
        for (String p : Poller.available()) Backend.parse(p);
    }

    @Test
    void ioUringIsOfferedExactlyWhereARingOpensAndNeverChosenByAuto() throws Exception {
        assertEquals(UringEngine.usable(), Backend.available().contains(Backend.IO_URING), Backend.available().toString());
        try (EventLoop auto = EventLoop.open(LoopOptions.builder().backend(Backend.AUTO).build())) {
            assertTrue(auto.backend() != Backend.IO_URING, "auto chose io_uring");
        }
        // Refused with the kernel's reason where no ring opens: UringEngineTest and UringBackendExitTest.
    }

    @Test
    void aLoopReportsTheBackendItRunsOnNeverAuto() throws Exception {
        try (EventLoop loop = EventLoop.open(LoopOptions.builder().backend(Backend.AUTO).build())) {
            assertEquals(Backend.available().get(0), loop.backend());
        }
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.POLL))) {
            assertEquals(Backend.POLL, loop.backend());
        }
    }

    @Test
    void theBuilderSetsEverySettingAndToBuilderRoundTrips() {
        WaitStrategy spin = WaitStrategy.SPIN;
        LoopOptions o = LoopOptions.builder().backend(Backend.SELECT).readBufferSize(4096).eventCapacity(7)
                .readsPerTurn(3).acceptsPerTurn(5).pauseReadingAbove(1000).closeAbove(2000).outputBudget(3000)
                .maxConnections(9).lingerMillis(11).waitStrategy(spin).build();
        assertEquals(new LoopOptions(Backend.SELECT, 4096, 7, 3, 5, 1000, 2000, 3000, 9, 11, spin), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(LoopOptions.defaults(), LoopOptions.builder().build());
        assertEquals(o.toBuilder().pauseReadingAbove(10).closeAbove(20).build(), o.withLimits(10, 20));
        assertEquals(o.toBuilder().maxConnections(1).build(), o.withMaxConnections(1));
        assertEquals(o.toBuilder().waitStrategy(WaitStrategy.BLOCK).build(), o.withWait(WaitStrategy.BLOCK));
        LoopOptions u = o.toBuilder().uringEntries(64).uringBuffers(512).uringBufferSize(4096).uringQuietReceives(3).build();
        assertEquals(new LoopOptions(Backend.SELECT, 4096, 7, 3, 5, 1000, 2000, 3000, 9, 11, spin, 64, 512, 4096, 3), u);
        assertEquals(u, u.toBuilder().build());
        assertEquals(List.of(1024, 256, 16 * 1024, 8), List.of(o.uringEntries(), o.uringBuffers(), o.uringBufferSize(),
                o.uringQuietReceives()), "the io_uring defaults");
    }

    @Test
    void aBadSettingIsRefusedByName() {
        assertEquals("readBufferSize < 64: 10", bad(() -> LoopOptions.builder().readBufferSize(10).build()));
        assertEquals("eventCapacity < 1: 0", bad(() -> LoopOptions.builder().eventCapacity(0).build()));
        assertEquals("readsPerTurn < 1: 0", bad(() -> LoopOptions.builder().readsPerTurn(0).build()));
        assertEquals("acceptsPerTurn < 1: 0", bad(() -> LoopOptions.builder().acceptsPerTurn(0).build()));
        assertEquals("need 0 < pauseReadingAbove <= closeAbove, got pauseReadingAbove=10 closeAbove=5",
                bad(() -> LoopOptions.builder().pauseReadingAbove(10).closeAbove(5).build()));
        assertEquals("outputBudget < 1: 0", bad(() -> LoopOptions.builder().outputBudget(0).build()));
        assertEquals("maxConnections < 1: 0", bad(() -> LoopOptions.builder().maxConnections(0).build()));
        assertEquals("lingerMillis < 0: -1", bad(() -> LoopOptions.builder().lingerMillis(-1).build()));
        assertEquals("backend is null (use Backend.AUTO)", bad(() -> LoopOptions.builder().backend(null).build()));
        assertEquals("waitStrategy is null (use WaitStrategy.BLOCK)",
                bad(() -> LoopOptions.builder().waitStrategy(null).build()));
        assertEquals("uringEntries is not a power of two in [2, 32768]: 1000",
                bad(() -> LoopOptions.builder().uringEntries(1000).build()));
        assertEquals("uringEntries is not a power of two in [2, 32768]: 1", bad(() -> LoopOptions.builder().uringEntries(1).build()));
        assertEquals("uringBuffers is not a power of two in [1, 32768]: 65536",
                bad(() -> LoopOptions.builder().uringBuffers(65536).build()));
        assertEquals("uringBufferSize < 1: 0", bad(() -> LoopOptions.builder().uringBufferSize(0).build()));
        assertEquals("uringQuietReceives < 1: 0", bad(() -> LoopOptions.builder().uringQuietReceives(0).build()));
    }

    private static String bad(java.util.function.Supplier<LoopOptions> s) {
        return assertThrows(IllegalArgumentException.class, s::get).getMessage();
    }

    @Test
    void aBadBackendPropertyIsRefusedByName() {
        String old = System.getProperty(Backend.PROPERTY);
        System.setProperty(Backend.PROPERTY, "nope");
        try {
            assertEquals("unknown backend 'nope' (valid: auto, epoll, kqueue, poll, select, io_uring)",
                    assertThrows(IllegalArgumentException.class, LoopOptions::defaults).getMessage());
        } finally {
            if (old == null) System.clearProperty(Backend.PROPERTY); else System.setProperty(Backend.PROPERTY, old);
        }
    }

    @Test
    void statsHaveNoPublicConstructorAndAddUp() throws Exception {
        for (var k : LoopStats.class.getDeclaredConstructors()) assertFalse(Modifier.isPublic(k.getModifiers()), k.toString());
        long[] v = new long[17];
        for (int i = 0; i < v.length; i++) v[i] = i + 1;
        LoopStats a = new LoopStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
                v[13], v[14], v[15], v[16]);
        LoopStats s = a.plus(a);
        assertEquals(2, s.waits());
        assertEquals(34, s.queuedBytes());
        assertEquals(28, s.rejected());
        assertEquals(s, a.plus(a));
        assertEquals(s.hashCode(), a.plus(a).hashCode());
        assertFalse(s.equals(a));
        assertTrue(s.toString().startsWith("waits=2 events=4 "), s.toString());
    }

    @Test
    void attachmentsAreTypedAndAWrongTypeIsNamed() throws Exception {
        int before = FdCount.now();
        CompletableFuture<String> seen = new CompletableFuture<>();
        Handler h = new Handler() {
            @Override
            public void onData(Connection c, MemorySegment buf, int len) {
                try {
                    assertNull(c.attachment(String.class));
                    c.attach("state");
                    assertEquals("state", c.attachment(String.class));
                    assertEquals("state", c.attachment(CharSequence.class));
                    ClassCastException e = assertThrows(ClassCastException.class, () -> c.attachment(Long.class));
                    c.attach(null);
                    assertNull(c.attachment(Long.class));
                    seen.complete(e.getMessage());
                } catch (Throwable t) {
                    seen.completeExceptionally(t);
                }
                c.close();
            }
        };
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.LEVEL, () -> h);
            loop.start("attach");
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), l.port())) {
                s.getOutputStream().write(1);
                assertEquals("attachment is a java.lang.String, not a java.lang.Long", seen.get(10, TimeUnit.SECONDS));
            }
            loop.shutdown(Duration.ofSeconds(1));
            assertTrue(loop.awaitTermination(Duration.ofSeconds(5)));
        }
        io.github.ffmreactor.testutil.Await.until("no fd left", () -> FdCount.now() <= before);
    }

    @Test
    void datagramAttachmentsAreTypedToo() throws Exception {
        try (EventLoop loop = EventLoop.open()) {
            Datagram d = loop.openDatagram(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    (ch, buf, len, from) -> {});
            d.attach(42);
            assertEquals(42, d.attachment(Integer.class));
            assertThrows(ClassCastException.class, () -> d.attachment(String.class));
        }
    }
}
