package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.testutil.OnLoop;
import io.github.ffmreactor.testutil.Await;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.Trigger;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class ChatServerTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** One test client reading through a Selector: collects whole lines. */
    static final class Reader {
        final SocketChannel ch;
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        final List<String> messages = new ArrayList<>();
        final List<String> notices = new ArrayList<>();

        Reader(SocketChannel ch) {
            this.ch = ch;
        }

        void take(ByteBuffer b) {
            while (b.hasRemaining()) {
                byte x = b.get();
                if (x != '\n') {
                    partial.write(x);
                    continue;
                }
                String line = partial.toString(StandardCharsets.UTF_8);
                partial.reset();
                (line.startsWith("* ") ? notices : messages).add(line);
            }
        }
    }

    static List<String> backends() {
        return io.github.ffmreactor.poll.Poller.available();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("backends")
    void fansOutToAHundredClientsAndDropsTheOneThatDoesNotRead(String backend) throws Exception {
        int before = FdCount.now();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        EventLoop loop = EventLoop.open(ChatServer.options(64 * 1024).withBackend(Backend.parse(backend)));
        ChatServer chat = new ChatServer(loop, log::add);
        Listener l = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
        loop.start("chat");
        List<Reader> readers = new ArrayList<>();
        Socket lazy = new Socket();
        try (Selector sel = Selector.open()) {
            // Client 0 sends, clients 1..98 read everything, client 99 never reads.
            for (int i = 0; i < 99; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(LOOPBACK, l.port()));
                ch.configureBlocking(false);
                Reader r = new Reader(ch);
                ch.register(sel, SelectionKey.OP_READ, r);
                readers.add(r);
            }
            lazy.setReceiveBufferSize(4096);
            lazy.connect(new InetSocketAddress(LOOPBACK, l.port()));
            String lazyName = LOOPBACK.getHostAddress() + ":" + lazy.getLocalPort();
            Await.until("100 members joined", () -> OnLoop.call(loop, chat::members) >= 100);
            Reader sender = readers.get(0);
            String senderName = LOOPBACK.getHostAddress() + ":" + ((InetSocketAddress) sender.ch.getLocalAddress()).getPort();
            String pad = "x".repeat(1000);
            ByteBuffer rb = ByteBuffer.allocateDirect(1 << 16);
            int sent = 0;
            boolean dropSeen = false;
            // Send in batches the readers absorb, until the room reports the lazy client dropped,
            // then a few more lines to show the room goes on without it.
            int extra = -1;
            while (extra != 0) {
                assertTrue(sent < 20_000, "the non-reader was never dropped");
                int batch = 16;
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < batch; k++) sb.append("L").append(sent + k).append(' ').append(pad).append('\n');
                ByteBuffer out = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                while (out.hasRemaining()) {
                    sender.ch.write(out);
                    drain(sel, rb, 0);
                }
                sent += batch;
                // Every reader gets every line so far.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!allHave(readers, sent)) {
                    assertTrue(System.nanoTime() < deadline, "readers fell behind at line " + sent);
                    drain(sel, rb, 50);
                }
                if (!dropSeen) {
                    dropSeen = readers.get(1).notices.stream().anyMatch(n -> n.startsWith("* " + lazyName + " dropped: "));
                    if (dropSeen) extra = 3;
                } else {
                    extra--;
                }
            }
            for (int i = 1; i < readers.size(); i++) {
                Reader r = readers.get(i);
                assertEquals(sent, r.messages.size(), "reader " + i);
                for (int k = 0; k < sent; k++) {
                    assertEquals(senderName + ": L" + k + " " + pad, r.messages.get(k), "reader " + i + " line " + k);
                }
                assertTrue(r.notices.stream().anyMatch(n -> n.startsWith("* " + lazyName + " dropped: ")
                        && n.contains("not reading")), r.notices.toString());
            }
            assertTrue(sender.messages.isEmpty(), "the sender does not hear its own lines");
            assertEquals(99, (int) OnLoop.call(loop, chat::members));
            assertTrue(log.stream().anyMatch(s -> s.startsWith("chat: dropped " + lazyName)), log.toString());
            for (Reader r : readers) r.ch.close();
        } finally {
            lazy.close();
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    /**
     * Hostile-test finding: a broadcast is queued by the room, not by the members that fill up, so
     * the loop's output budget (which pauses reading from a connection that queues too much) did
     * not bound the room: 1,000 non-reading members cost 138 MiB of queued output at 256 KiB each.
     * Now the room drops its longest queue whenever the queues together pass the budget.
     */
    @org.junit.jupiter.api.Test
    void nonReadersTogetherStayWithinTheLoopsOutputBudget() throws Exception {
        int before = FdCount.now();
        long budget = 1 << 20;
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        EventLoop loop = EventLoop.open(ChatServer.options(256 * 1024).withOutputBudget(budget));
        ChatServer chat = new ChatServer(loop, log::add);
        Listener l = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
        loop.start("chat");
        List<Socket> lazy = new ArrayList<>();
        try (SocketChannel sender = SocketChannel.open(l.localAddress());
             SocketChannel reader = SocketChannel.open(l.localAddress())) {
            // 8 members that never read: 8 x 256 KiB of allowed queue is twice the budget.
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                lazy.add(s);
                s.setReceiveBufferSize(4096);
                s.connect(l.localAddress());
            }
            Await.until("10 members", () -> OnLoop.call(loop, chat::members) == 10);
            LineReader in = new LineReader(reader);
            String senderName = nameOf(sender);
            String pad = "y".repeat(1000);
            long most = 0;
            int sent = 0;
            while (OnLoop.call(loop, chat::members) > 2) {
                assertTrue(sent < 40_000, "the non-readers were never dropped: " + log);
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < 64; k++) sb.append(sent + k).append(' ').append(pad).append('\n');
                send(sender, sb.toString());
                for (int k = 0; k < 64; k++) assertEquals(senderName + ": " + (sent + k) + " " + pad, in.message());
                sent += 64;
                most = Math.max(most, OnLoop.call(loop, () -> loop.stats().queuedBytes()));
                assertTrue(most <= budget, "queued " + most + " bytes, over the budget of " + budget);
            }
            assertTrue(log.stream().anyMatch(s -> s.contains("over its budget of " + budget)), log.toString());
            long evictions = OnLoop.call(loop, () -> chat.evictions);
            assertTrue(evictions >= 1, "evictions " + evictions);
            // The two that read are still served.
            send(sender, "after\n");
            assertEquals(senderName + ": after", in.message());
        } finally {
            for (Socket s : lazy) s.close();
            loop.close();
        }
        FdCount.assertBackTo(before);
    }

    /**
     * Hostile-test finding: each join was its own broadcast, so N members joining at once cost
     * N*N/2 writes (1,000 joins kept the room from relaying a line for over a second). Notices
     * queued in one turn now go out together, one write per member.
     */
    @org.junit.jupiter.api.Test
    void aBurstOfJoinsIsAnnouncedInBatchesNotOneWritePerJoinPerMember() throws Exception {
        int before = FdCount.now();
        int n = 200;
        List<SocketChannel> members = new ArrayList<>();
        try (EventLoop loop = EventLoop.open(ChatServer.options(256 * 1024))) {
            ChatServer chat = new ChatServer(loop, s -> {});
            Listener l = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
            loop.start("chat");
            try {
                // Hold the loop while the kernel completes every handshake: the joins then come in
                // as one burst, as from a hostile client, whatever the speed of this machine.
                java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
                loop.execute(() -> {
                    held.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertTrue(held.await(10, TimeUnit.SECONDS));
                try {
                    for (int i = 0; i < n; i++) members.add(SocketChannel.open(l.localAddress()));
                } finally {
                    release.countDown();
                }
                LineReader first = new LineReader(members.get(0));
                java.util.Set<String> joins = new java.util.HashSet<>();
                for (int i = 0; i < n; i++) joins.add(first.line());
                for (SocketChannel m : members) assertTrue(joins.contains("* " + nameOf(m) + " joined"), joins.toString());
                long writes = OnLoop.call(loop, () -> loop.stats().writes());
                assertTrue(writes < (long) n * n / 8, writes + " writes for " + n + " joins (one broadcast each: "
                        + n * (n + 1) / 2 + ")");
                // Order still holds: a line comes after the notices queued before it.
                send(members.get(1), "hello\n");
                assertEquals(nameOf(members.get(1)) + ": hello", first.message());
            } finally {
                for (SocketChannel m : members) m.close();
            }
        }
        FdCount.assertBackTo(before);
    }

    /** A blocking member: reads whole lines, skipping notices unless asked for them. */
    static final class LineReader {
        final java.io.InputStream in;

        LineReader(java.nio.channels.ByteChannel ch) {
            in = java.nio.channels.Channels.newInputStream(ch);
        }

        String line() throws Exception {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int x; (x = in.read()) != '\n'; ) {
                if (x < 0) throw new AssertionError("EOF after " + b.size() + " bytes: " + b);
                b.write(x);
            }
            return b.toString(StandardCharsets.UTF_8);
        }

        String message() throws Exception {
            for (String l; ; ) if (!(l = line()).startsWith("* ")) return l;
        }
    }

    private static void send(java.nio.channels.ByteChannel ch, String s) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) ch.write(b);
    }

    private static String nameOf(SocketChannel ch) throws Exception {
        return LOOPBACK.getHostAddress() + ":" + ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    /** Issue 8: a 10,000-byte line reached the others as 4,096 bytes. */
    @org.junit.jupiter.api.Test
    void aTenThousandByteLineArrivesWhole() throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(ChatServer.options(256 * 1024))) {
            ChatServer chat = new ChatServer(loop, s -> {});
            Listener l = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
            loop.start("chat");
            try (SocketChannel a = SocketChannel.open(l.localAddress()); SocketChannel b = SocketChannel.open(l.localAddress())) {
                Await.until("2 members", () -> OnLoop.call(loop, chat::members) == 2);
                String big = "0123456789".repeat(1000);
                send(a, big.substring(0, 3000));
                send(a, big.substring(3000) + "\r\n");
                assertEquals(nameOf(a) + ": " + big, new LineReader(b).message());
            }
        }
        FdCount.assertBackTo(before);
    }

    @org.junit.jupiter.api.Test
    void aLineOverTheLimitGoesOutInMarkedPieces() throws Exception {
        try (EventLoop loop = EventLoop.open(ChatServer.options(256 * 1024))) {
            ChatServer chat = new ChatServer(loop, 4096, s -> {});
            Listener l = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
            loop.start("chat");
            try (SocketChannel a = SocketChannel.open(l.localAddress()); SocketChannel b = SocketChannel.open(l.localAddress())) {
                Await.until("2 members", () -> OnLoop.call(loop, chat::members) == 2);
                String big = "abcdefghij".repeat(1000);
                send(a, big + "\nshort\nunfinished");
                a.shutdownOutput(); // the unfinished line is still said, then a leaves
                LineReader r = new LineReader(b);
                String n = nameOf(a);
                assertEquals(n + "+ " + big.substring(0, 4096), r.message());
                assertEquals(n + "+ " + big.substring(4096, 8192), r.message());
                assertEquals(n + ": " + big.substring(8192), r.message());
                assertEquals(n + ": short", r.message());
                assertEquals(n + ": unfinished", r.message());
                assertEquals("* " + n + " left", r.line());
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("io.github.ffmreactor.testutil.Backends#loops")
    void unixAndTcpMembersChatTogether(String backend) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.ffmreactor.net.Unix.available());
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ffmr-chat");
        java.nio.file.Path path = dir.resolve("chat.sock");
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open(ChatServer.options(256 * 1024).withBackend(Backend.parse(backend)))) {
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            ChatServer chat = new ChatServer(loop, log::add);
            Listener tcp = chat.listen(new InetSocketAddress(LOOPBACK, 0), Trigger.LEVEL);
            chat.listen(path, Trigger.LEVEL);
            loop.start("chat");
            try (SocketChannel t = SocketChannel.open(tcp.localAddress());
                 SocketChannel u1 = SocketChannel.open(java.net.UnixDomainSocketAddress.of(path));
                 SocketChannel u2 = SocketChannel.open(java.net.UnixDomainSocketAddress.of(path))) {
                Await.until("3 members", () -> OnLoop.call(loop, chat::members) == 3);
                LineReader rt = new LineReader(t), r1 = new LineReader(u1), r2 = new LineReader(u2);
                // Joins are announced to everyone; the accept order of the two listeners may vary.
                java.util.Set<String> joins = new java.util.HashSet<>();
                while (!joins.containsAll(List.of("* unix#1 joined", "* unix#2 joined"))) joins.add(rt.line());
                while (!r1.line().equals("* unix#2 joined")) {
                    // u1 may first hear its own join and the TCP member's
                }
                send(u1, "hello from unix\n");
                assertEquals("unix#1: hello from unix", rt.message());
                assertEquals("unix#1: hello from unix", r2.message());
                send(t, "hello from tcp\n");
                assertEquals(nameOf(t) + ": hello from tcp", r1.message());
                assertEquals(nameOf(t) + ": hello from tcp", r2.message());
                u1.close();
                assertEquals("* unix#1 left", rt.line());
                assertTrue(log.isEmpty(), "nobody was dropped: " + log);
            }
        } finally {
            java.nio.file.Files.deleteIfExists(path);
            java.nio.file.Files.delete(dir);
        }
        FdCount.assertBackTo(before);
    }

    @org.junit.jupiter.api.Test
    void cliChecksMaxLineAndReportsAUnixPathInUse() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(), err = new java.io.ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"chat", "--max-line", "0"}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)));
        assertTrue(err.toString().contains("--max-line must be in 1.."), err.toString());
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.ffmreactor.net.Unix.available());
        java.nio.file.Path taken = java.nio.file.Files.createTempFile("ffmr-chat", ".sock");
        int before = FdCount.now();
        try {
            err.reset();
            assertEquals(1, Main.run(new String[] {"chat", "--port", "0", "--unix", taken.toString()},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true)));
            assertTrue(err.toString().contains("EADDRINUSE"), err.toString());
        } finally {
            java.nio.file.Files.deleteIfExists(taken);
        }
        FdCount.assertBackTo(before);
    }

    private static boolean allHave(List<Reader> readers, int n) {
        for (int i = 1; i < readers.size(); i++) if (readers.get(i).messages.size() < n) return false;
        return true;
    }

    private static void drain(Selector sel, ByteBuffer rb, long waitMs) throws Exception {
        int n = waitMs > 0 ? sel.select(waitMs) : sel.selectNow();
        if (n == 0) return;
        for (SelectionKey k : sel.selectedKeys()) {
            Reader r = (Reader) k.attachment();
            for (int got; (got = r.ch.read(rb.clear())) > 0; ) r.take(rb.flip());
        }
        sel.selectedKeys().clear();
    }
}
