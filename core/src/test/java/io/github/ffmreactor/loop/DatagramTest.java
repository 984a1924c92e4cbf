package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.poll.Poller;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import io.github.ffmreactor.NativeException;

@Timeout(30)
class DatagramTest {
    static Stream<Arguments> cases() {
        List<String> b = Poller.available();
        return b.stream().flatMap(x -> Stream.of(Arguments.of(x, "127.0.0.1"), Arguments.of(x, "::1")));
    }

    /** Upper-cases each datagram in place and sends it back to its sender. */
    static final DatagramHandler UPPER_ECHO = (ch, buf, len, from) -> {
        for (int i = 0; i < len; i++) {
            byte c = buf.get(ValueLayout.JAVA_BYTE, i);
            if (c >= 'a' && c <= 'z') buf.set(ValueLayout.JAVA_BYTE, i, (byte) (c - 32));
        }
        ch.sendTo(buf, 0, len, from);
    };

    @ParameterizedTest
    @MethodSource("cases")
    void roundTripsIPv4AndIPv6(String backend, String host) throws Exception {
        InetAddress addr = InetAddress.getByName(host);
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)))) {
            Datagram ch;
            try {
                ch = loop.openDatagram(new InetSocketAddress(addr, 0), UPPER_ECHO);
            } catch (io.github.ffmreactor.NativeException e) {
                org.junit.jupiter.api.Assumptions.assumeTrue(!host.contains(":"), "no IPv6 loopback: " + e);
                throw e;
            }
            int port = ch.localAddress().getPort();
            loop.start("udp");
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(addr, 0))) {
                client.setSoTimeout(5000);
                for (int i = 0; i < 200; i++) {
                    byte[] msg = ("msg " + i + " abc").getBytes(StandardCharsets.US_ASCII);
                    client.send(new DatagramPacket(msg, msg.length, addr, port));
                    DatagramPacket p = new DatagramPacket(new byte[100], 100);
                    client.receive(p);
                    assertEquals("MSG " + i + " ABC", new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                    assertEquals(port, p.getPort());
                }
            }
            TimersTest.onLoop(loop, () -> {
                assertEquals(200, ch.received());
                assertEquals(200, ch.sent());
                assertEquals(0, ch.dropped());
            });
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void senderEndpointIsReusedAndComparable() throws Exception {
        try (EventLoop loop = EventLoop.open(); Arena arena = Arena.ofShared()) {
            Endpoint first = Endpoint.allocate(arena);
            Endpoint[] seen = new Endpoint[2];
            CompletableFuture<Boolean> sameObject = new CompletableFuture<>();
            CompletableFuture<Boolean> sameAs = new CompletableFuture<>();
            int[] n = new int[1];
            Datagram ch = loop.openDatagram(new InetSocketAddress("127.0.0.1", 0), (c, buf, len, from) -> {
                seen[n[0]++] = from;
                if (n[0] == 1) {
                    first.copyFrom(from);
                } else {
                    sameObject.complete(seen[0] == seen[1]);
                    sameAs.complete(first.sameAs(from) && first.hash() == from.hash());
                }
            });
            int port = ch.localAddress().getPort();
            loop.start("udp2");
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                for (int i = 0; i < 2; i++) client.send(new DatagramPacket(new byte[]{1}, 1, InetAddress.getByName("127.0.0.1"), port));
                assertTrue(sameObject.get(5, TimeUnit.SECONDS), "one Endpoint object for every datagram");
                assertTrue(sameAs.get(5, TimeUnit.SECONDS));
                assertEquals(client.getLocalPort(), first.port());
                assertEquals(new InetSocketAddress("127.0.0.1", client.getLocalPort()), first.toInetSocketAddress());
            }
        }
    }
}
