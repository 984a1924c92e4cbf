package io.github.ffmreactor.cli;

import io.github.ffmreactor.testutil.Await;

import io.github.ffmreactor.testutil.FdCount;

import static io.github.ffmreactor.testutil.OnLoop.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.loop.Datagram;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.ManualClock;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class UdpChatServerTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static final class Client implements AutoCloseable {
        final DatagramSocket s;
        final int port;
        final InetSocketAddress server;

        Client(InetSocketAddress server) throws Exception {
            this.server = server;
            s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            s.setSoTimeout(5000);
            port = s.getLocalPort();
        }

        String name() {
            return LOOPBACK.getHostAddress() + ":" + port;
        }

        InetSocketAddress address() {
            return new InetSocketAddress(LOOPBACK, port);
        }

        void send(String text) throws Exception {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            s.send(new DatagramPacket(b, b.length, server));
        }

        String receive() throws Exception {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            s.receive(p);
            return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        }

        /** Nothing arrives within {@code ms}. */
        boolean silentFor(int ms) throws Exception {
            s.setSoTimeout(ms);
            try {
                s.receive(new DatagramPacket(new byte[2048], 2048));
                return false;
            } catch (SocketTimeoutException e) {
                return true;
            } finally {
                s.setSoTimeout(5000);
            }
        }

        @Override
        public void close() {
            s.close();
        }
    }

    /** Waits until the loop has heard {@code c}'s latest datagram at the clock's current time. */
    static void heard(EventLoop loop, UdpChatServer room, Client c, ManualClock clock) throws Exception {
        Await.until("the server to hear " + c.name(),
                () -> call(loop, () -> room.lastHeard(c.address())) == clock.nanoTime());
    }

    @Test
    void joinRelayHeartbeatExpiryAndQuit() throws Exception {
        int before = FdCount.now();
        ManualClock clock = new ManualClock();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        EventLoop loop = EventLoop.open(LoopOptions.defaults(), clock);
        UdpChatServer room = new UdpChatServer(loop, Duration.ofSeconds(30), log::add);
        Datagram ch = room.open(new InetSocketAddress(LOOPBACK, 0));
        InetSocketAddress at = ch.localAddress();
        loop.start("udp-chat");
        try (Client a = new Client(at); Client b = new Client(at); Client c = new Client(at)) {
            a.send("hb");
            heard(loop, room, a, clock);
            b.send("hello from b\n");
            assertEquals("* " + b.name() + " joined\n", a.receive());
            assertEquals(b.name() + ": hello from b\n", a.receive());
            c.send("hb");
            assertEquals("* " + c.name() + " joined\n", a.receive());
            assertEquals("* " + c.name() + " joined\n", b.receive());
            heard(loop, room, c, clock);
            assertEquals(3, (int) call(loop, room::members));

            // 20 s pass; a and c send heartbeats, b stays silent.
            clock.advance(20, TimeUnit.SECONDS);
            a.send("hb");
            c.send("hb");
            heard(loop, room, a, clock);
            heard(loop, room, c, clock);
            assertTrue(b.silentFor(50), "heartbeats are not relayed");
            // 15 s more: b has been silent 35 s (> 30), a and c only 15 s.
            clock.advance(15, TimeUnit.SECONDS);
            call(loop, () -> null); // a turn, on which the sweep timer is due
            assertEquals("* " + b.name() + " expired (silent for 35000 ms)\n", a.receive());
            assertEquals("* " + b.name() + " expired (silent for 35000 ms)\n", c.receive());
            assertEquals(2, (int) call(loop, room::members));

            c.send("quit");
            assertEquals("* " + c.name() + " left\n", a.receive());
            assertEquals(1, (int) call(loop, room::members));
            a.send("anyone?");
            assertTrue(b.silentFor(50) && c.silentFor(50), "gone members hear nothing");
            // b comes back by sending: a new join.
            b.send("back");
            assertEquals("* " + b.name() + " joined\n", a.receive());
            assertEquals(b.name() + ": back\n", a.receive());
            assertTrue(log.contains("udp-chat: " + b.name() + " expired (silent for 35000 ms)"), log.toString());
            assertEquals(0, ch.dropped());
        } finally {
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    /**
     * Hostile-test finding: every source port was a new member, so datagrams from many ports grew
     * the room without bound (3,000 ports: 3,000 members, each datagram scanned and relayed 3,000
     * times). The room now holds at most maxMembers; newcomers past it are ignored and counted.
     */
    @Test
    void aFullRoomIgnoresNewcomersUntilSomeoneLeaves() throws Exception {
        int before = FdCount.now();
        ManualClock clock = new ManualClock();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        EventLoop loop = EventLoop.open(LoopOptions.defaults(), clock);
        UdpChatServer room = new UdpChatServer(loop, Duration.ofSeconds(30), 3, log::add);
        Datagram ch = room.open(new InetSocketAddress(LOOPBACK, 0));
        InetSocketAddress at = ch.localAddress();
        loop.start("udp-chat");
        try (Client a = new Client(at); Client b = new Client(at); Client c = new Client(at)) {
            a.send("hb");
            heard(loop, room, a, clock);
            b.send("hb");
            heard(loop, room, b, clock);
            c.send("hb");
            heard(loop, room, c, clock);
            while (!a.receive().equals("* " + c.name() + " joined\n")) {
                // a also hears b join
            }
            for (int i = 0; i < 20; i++) {
                try (Client x = new Client(at)) {
                    x.send("let me in " + i);
                }
            }
            Await.until("20 refused", () -> call(loop, room::refused) == 20L);
            assertEquals(3, (int) call(loop, room::members));
            assertTrue(a.silentFor(50), "a newcomer to a full room is not relayed");
            assertEquals(1, log.stream().filter(l -> l.startsWith("udp-chat: room full (3 members)")).count(),
                    "one report per second at most: " + log);
            // The members still talk; one leaves, and a newcomer gets in.
            b.send("still here");
            assertEquals(b.name() + ": still here\n", a.receive());
            c.send("quit");
            assertEquals("* " + c.name() + " left\n", a.receive());
            try (Client d = new Client(at)) {
                d.send("in at last");
                assertEquals("* " + d.name() + " joined\n", a.receive());
                assertEquals(d.name() + ": in at last\n", a.receive());
            }
            assertEquals(20L, (long) call(loop, room::refused));
        } finally {
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void cliChecksMaxMembers() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"udp-chat", "--max-members", "0"}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)));
        assertTrue(err.toString().contains("--max-members must be in 1..65536, got 0"), err.toString());
    }
}
