package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ffmreactor.sys.Mmsg;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.FdCount;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A loop read buffer smaller than the datagrams a socket keeps: the recvfrom path (every OS but
 * Linux, where recvmmsg is the default) must give what the recvmmsg path gives. A datagram up to
 * maxDatagram arrives whole; a longer one is cut, counted and handed to onTruncated, never
 * passed on as a whole datagram of the read buffer's size.
 */
@Timeout(30)
class DatagramReadBufferTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        for (String b : Backends.names()) {
            r.add(Arguments.of(b, false));
            if (Mmsg.available()) r.add(Arguments.of(b, true));
        }
        return r.stream();
    }

    @AfterEach
    void restore() {
        Datagram.useMmsg = Mmsg.available();
    }

    record Got(boolean whole, int len, int length, byte first, byte last) {}

    @ParameterizedTest(name = "{0} mmsg={1}")
    @MethodSource("cases")
    void aReadBufferBelowTheDatagramsNeitherCutsNorHidesACut(String backend, boolean mmsg) throws Exception {
        assumeTrue(!mmsg || Mmsg.available());
        Datagram.useMmsg = mmsg;
        int before = FdCount.now();
        List<Got> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> two = new CompletableFuture<>();
        LoopOptions small = LoopOptions.defaults().withBackend(Backend.parse(backend)).withReadBufferSize(256);
        try (EventLoop loop = EventLoop.open(small)) {
            Datagram ch = loop.openDatagram(new InetSocketAddress(LOOPBACK, 0),
                    DatagramOptions.defaults().withMaxDatagram(1500), new DatagramHandler() {
                        @Override
                        public void onDatagram(Datagram c, MemorySegment buf, int len, Endpoint from) {
                            add(new Got(true, len, len, buf.get(ValueLayout.JAVA_BYTE, 0), buf.get(ValueLayout.JAVA_BYTE, len - 1)));
                        }

                        @Override
                        public void onTruncated(Datagram c, MemorySegment buf, int kept, int length, Endpoint from) {
                            add(new Got(false, kept, length, buf.get(ValueLayout.JAVA_BYTE, 0), buf.get(ValueLayout.JAVA_BYTE, kept - 1)));
                        }

                        private void add(Got g) {
                            got.add(g);
                            if (got.size() == 2) two.complete(null);
                        }
                    });
            assertEquals(mmsg, ch.batched());
            int port = ch.localAddress().getPort();
            loop.start("udp-small-buffer");
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                client.send(new DatagramPacket(pattern(1000), 1000, LOOPBACK, port)); // fits maxDatagram, not the read buffer
                client.send(new DatagramPacket(pattern(3000), 3000, LOOPBACK, port)); // longer than maxDatagram
                two.get(5, TimeUnit.SECONDS);
            }
            assertEquals(new Got(true, 1000, 1000, (byte) 0, (byte) 999), got.get(0), "a 1000-byte datagram under maxDatagram arrives whole");
            Got cut = got.get(1);
            assertEquals(false, cut.whole(), "a 3000-byte datagram is reported cut, not passed on as whole: " + cut);
            assertEquals(1500, cut.len());
            assertEquals((byte) 1499, cut.last());
            // The real length where the OS tells it (recvmmsg, MSG_TRUNC), -1 where it does not.
            assertEquals(mmsg ? 3000 : -1, cut.length());
            TimersTest.onLoop(loop, () -> {
                assertEquals(2, ch.received());
                assertEquals(1, ch.truncated());
            });
        }
        FdCount.assertBackTo(before);
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) i;
        return b;
    }
}
