package io.github.ffmreactor.stress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Many echo clients on one thread: non-blocking channels in one selector, the cheapest way to hold
 * thousands of connections from the test JVM. Each connection sends a message of its own and
 * checks the echo byte for byte. A connection the server closes or resets before its echo is
 * complete counts as refused (what a server past its connection limit does).
 */
final class EchoClients implements AutoCloseable {
    private static final int MESSAGE = 48;

    private enum State { CONNECTING, WAITING, ECHOED, REFUSED }

    private static final class Conn {
        final SocketChannel ch;
        final long id;
        final ByteBuffer out = ByteBuffer.allocate(MESSAGE);
        final ByteBuffer in = ByteBuffer.allocate(MESSAGE);
        State state = State.CONNECTING;
        int round;

        Conn(SocketChannel ch, long id) {
            this.ch = ch;
            this.id = id;
        }

        /** The message of this connection for this round: id and round spread over every byte. */
        void fill(ByteBuffer b) {
            b.clear();
            for (int i = 0; i < MESSAGE; i++) b.put((byte) (id * 31 + round * 7 + i * 13));
            b.flip();
        }
    }

    private final InetSocketAddress server;
    private final Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final ByteBuffer expected = ByteBuffer.allocate(MESSAGE);
    private int pending;
    private int echoed;
    private int refused;
    /** Echoed connections that the server closed afterwards (it should not: they are held). */
    private int droppedAfterEcho;

    EchoClients(int port) throws IOException {
        server = new InetSocketAddress("127.0.0.1", port);
        selector = Selector.open();
    }

    int echoed() {
        return echoed;
    }

    int refused() {
        return refused;
    }

    int droppedAfterEcho() {
        return droppedAfterEcho;
    }

    int open() {
        return conns.size() - refused - droppedAfterEcho;
    }

    /**
     * Opens {@code n} more connections, each sending its message, with at most {@code window}
     * waiting at once (so the server's accept backlog never overflows into SYN retries), and
     * returns when each has its echo or was refused. Fails after {@code max}.
     */
    void open(int n, int window, Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        int target = conns.size() + n;
        while (conns.size() < target || pending > 0) {
            while (conns.size() < target && pending < window) connectOne();
            step(deadline, "opening " + n + " connections");
        }
    }

    /**
     * Opens {@code n} connections that send their message and then just stay, without waiting for
     * echoes (the server may not accept them yet); returns once every connect has completed.
     */
    void openAndHold(int n, Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        for (int i = 0; i < n; i++) connectOne();
        while (connecting() > 0) step(deadline, "connecting " + n);
    }

    /** Every open connection sends a new message and gets it back. Fails after {@code max}. */
    void echoAgain(Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        for (Conn c : conns) {
            if (c.state != State.ECHOED) continue;
            c.round++;
            send(c);
        }
        while (pending > 0) step(deadline, "echo round on " + open() + " connections");
    }

    private int connecting() {
        int n = 0;
        for (Conn c : conns) if (c.state == State.CONNECTING) n++;
        return n;
    }

    private void connectOne() throws IOException {
        SocketChannel ch = SocketChannel.open();
        Conn c = new Conn(ch, conns.size());
        conns.add(c);
        pending++;
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (ch.connect(server)) {
                connected(c);
            } else {
                ch.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException e) {
            refuse(c);
        }
    }

    private void step(long deadline, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AssertionError("timed out " + what + ": " + conns.size() + " opened, " + echoed + " echoed, "
                    + refused + " refused, " + pending + " waiting");
        }
        if (selector.select(Math.min(100, Math.max(1, left / 1_000_000))) > 0) handleReady();
    }

    private void handleReady() throws IOException {
        for (SelectionKey k : selector.selectedKeys()) {
            Conn c = (Conn) k.attachment();
            try {
                if (c.state == State.CONNECTING && k.isConnectable()) {
                    c.ch.finishConnect();
                    connected(c);
                } else if (k.isReadable()) {
                    read(c);
                }
            } catch (IOException e) {
                // reset or refused by the server
                if (c.state == State.ECHOED) {
                    dropped(c);
                } else {
                    refuse(c);
                }
            }
        }
        selector.selectedKeys().clear();
    }

    private void connected(Conn c) throws IOException {
        c.ch.register(selector, SelectionKey.OP_READ, c);
        send(c);
    }

    private void send(Conn c) throws IOException {
        if (c.state == State.ECHOED) {
            echoed--;
            pending++;
        }
        c.state = State.WAITING;
        c.fill(c.out);
        c.in.clear();
        // 48 bytes into an empty socket buffer: the kernel takes them at once.
        if (c.ch.write(c.out) != MESSAGE) throw new IOException("short write of a " + MESSAGE + "-byte message");
    }

    private void read(Conn c) throws IOException {
        if (c.state == State.ECHOED) {
            // Nothing more is due on a held connection: only its end can be read here.
            if (c.ch.read(c.in.clear()) < 0) dropped(c);
            else throw new AssertionError("unexpected bytes on connection " + c.id);
            return;
        }
        int r = c.ch.read(c.in);
        if (r < 0) {
            refuse(c);
            return;
        }
        if (c.in.hasRemaining()) return;
        c.fill(expected);
        c.in.flip();
        if (!c.in.equals(expected)) throw new AssertionError("connection " + c.id + " got bytes other than it sent");
        c.state = State.ECHOED;
        echoed++;
        pending--;
    }

    private void refuse(Conn c) {
        if (c.state == State.REFUSED) return;
        c.state = State.REFUSED;
        refused++;
        pending--;
        closeQuietly(c.ch);
    }

    private void dropped(Conn c) {
        droppedAfterEcho++;
        c.state = State.REFUSED;
        echoed--;
        closeQuietly(c.ch);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a socket the peer already reset
        }
    }

    @Override
    public void close() throws IOException {
        for (Conn c : conns) closeQuietly(c.ch);
        selector.close();
    }
}
