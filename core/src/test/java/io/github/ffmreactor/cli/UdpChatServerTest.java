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

    @Test
    void tooLongLinesAreAnsweredNotRelayedNorCut() throws Exception {
        int before = FdCount.now();
        EventLoop loop = EventLoop.open();
        UdpChatServer room = new UdpChatServer(loop, Duration.ofSeconds(30), s -> {});
        Datagram ch = room.open(new InetSocketAddress(LOOPBACK, 0));
        InetSocketAddress at = ch.localAddress();
        loop.start("udp-chat");
        try (Client a = new Client(at); Client b = new Client(at)) {
            b.send("hb");
            Await.until("b joined", () -> call(loop, room::members) == 1);
            a.send("hb");
            assertEquals("* " + a.name() + " joined\n", b.receive());
            // Cut by the kernel (longer than the socket keeps): the real length is told where the OS says it.
            a.send("x".repeat(2000) + "\n");
            String told = a.receive();
            assertTrue(told.equals("* line too long: " + (ch.batched() ? 2001 : 1402) + " bytes, the limit is 1400: not relayed\n"), told);
            // Kept whole by the socket but one byte over the limit.
            a.send("y".repeat(1401) + "\n"); // 1,402 bytes: kept whole, 1,401 once the newline is off
            assertEquals("* line too long: 1401 bytes, the limit is 1400: not relayed\n", a.receive());
            assertTrue(b.silentFor(50), "nothing of an over-long line is relayed");
            // At the limit: relayed whole.
            a.send("z".repeat(1400) + "\n");
            DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
            b.s.receive(p);
            assertEquals(a.name() + ": " + "z".repeat(1400) + "\n", new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
            assertEquals(2L, (long) call(loop, room::tooLong));
            assertEquals(1L, (long) call(loop, ch::truncated)); // only the 2,001-byte one was cut
        } finally {
            loop.execute(room::close);
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    /**
     * 2,000 lines from one member while the loop is held busy: with --rcvbuf 4MiB they all arrive
     * (counted); with the default buffer the kernel's drop counter is exactly what was lost. Then a
     * newcomer's heartbeats until it joins: the kernel reports its drop count with each datagram,
     * so the one that arrives carries the count of everything lost before it.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"4MiB", "0"})
    void aBurstOf2000Lines(String rcvbuf) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.ffmreactor.sys.Platform.CURRENT
                == io.github.ffmreactor.sys.Platform.LINUX, "SO_RXQ_OVFL: Linux");
        int asked = Args.parse(new String[] {"--rcvbuf", rcvbuf}, UdpChatServer.OPTIONS).sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE);
        int before = FdCount.now();
        EventLoop loop = EventLoop.open();
        UdpChatServer room = new UdpChatServer(loop, Duration.ofSeconds(30), s -> {});
        Datagram ch = room.open(new InetSocketAddress(LOOPBACK, 0),
                io.github.ffmreactor.loop.DatagramOptions.defaults().withReceiveBuffer(asked));
        InetSocketAddress at = ch.localAddress();
        loop.start("udp-chat");
        int sent = 0;
        try (Client a = new Client(at); Client late = new Client(at)) {
            int granted = call(loop, ch::receiveBuffer);
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            loop.execute(() -> {
                held.countDown();
                try {
                    hold.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertTrue(held.await(10, TimeUnit.SECONDS));
                for (int i = 0; i < 2000; i++) {
                    a.send("line " + i + "\n");
                    sent++;
                }
            } finally {
                hold.countDown();
            }
            for (int i = 0; i < 250 && call(loop, () -> room.lastHeard(late.address())) < 0; i++) {
                late.send("hb");
                sent++;
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
                while (System.nanoTime() < until && call(loop, () -> room.lastHeard(late.address())) < 0) Thread.onSpinWait();
            }
            assertTrue(call(loop, () -> room.lastHeard(late.address())) >= 0, "the newcomer joined");
            long received = call(loop, ch::received);
            long drops = call(loop, ch::kernelDrops);
            System.out.printf("udp-chat --rcvbuf %s (granted %d): sent %d, received %d, kernel drops %d%n",
                    rcvbuf, granted, sent, received, drops);
            assertEquals(sent - received, drops, "the drop counter is exactly what was lost");
            if (asked > 0 && granted >= 8 << 20) {
                assertEquals(sent, received, "with 8 MiB granted the burst arrives whole");
            } else if (asked == 0) {
                assertTrue(drops > 0, "the default " + granted + "-byte buffer cannot hold the burst");
            } else {
                System.out.println("rmem_max is below 4 MiB here: granted " + granted + ", only the accounting is asserted");
            }
        } finally {
            loop.execute(room::close);
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    @Test
    void cliTakesReceiveBufferSizes() throws Exception {
        Args a = Args.parse(new String[] {"--rcvbuf", "4MiB"}, UdpChatServer.OPTIONS);
        assertEquals(4 << 20, a.sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE));
        assertEquals(256 << 10, Args.parse(new String[] {"--rcvbuf", "256K"}, UdpChatServer.OPTIONS).sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE));
        assertEquals(1000, Args.parse(new String[] {"--rcvbuf", "1000"}, UdpChatServer.OPTIONS).sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = Main.run(new String[] {"udp-chat", "--rcvbuf", "lots"}, new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rcvbuf must be a size (262144, 256K, 4MiB...), got 'lots'"), err.toString());
        err.reset();
        rc = Main.run(new String[] {"udp-chat", "--rcvbuf", "4GiB"}, new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rcvbuf must be in 0..1073741823 bytes, got 4GiB"), err.toString());
    }

    /** The process: the granted buffer in the startup line, a too-long notice, the UDP counters on SIGTERM. */
    @Test
    void processReportsGrantedBufferAndCountersOnStop() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(javaCmd, "--enable-native-access=ALL-UNNAMED", "-cp",
                java.nio.file.Path.of("target", "classes").toAbsolutePath().toString(), "io.github.ffmreactor.cli.Main",
                "udp-chat", "--port", "0", "--rcvbuf", "1MiB").redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.contains(" rcvbuf=" + (2 << 20) + " (asked " + (1 << 20) + ")"), line);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            try (Client a = new Client(new InetSocketAddress(LOOPBACK, Integer.parseInt(m.group(1))))) {
                a.send("w".repeat(3000));
                assertTrue(a.receive().startsWith("* line too long: "));
            }
            p.toHandle().destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
            String rest = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(rest.contains("udp: received=1 ") && rest.contains(" kernelDrops=0") && rest.contains(" tooLong=1"), line + "\n" + rest);
        } finally {
            p.destroyForcibly();
        }
    }
}
