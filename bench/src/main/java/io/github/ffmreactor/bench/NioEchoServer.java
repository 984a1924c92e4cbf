package io.github.ffmreactor.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The java.nio echo server, written as a careful NIO programmer would: one selector thread, one
 * shared 64 KiB direct read buffer, {@code select(Consumer)} (no selected-key set, no iterator),
 * write back at once and queue only what the kernel did not take, in a per-connection direct
 * buffer, with OP_WRITE interest only while something is queued. No garbage per event.
 */
final class NioEchoServer implements ServerMain.Running, Runnable {
    private final Selector selector;
    private final ServerSocketChannel server;
    private final ByteBuffer readBuf = ByteBuffer.allocateDirect(64 * 1024);
    private final Consumer<SelectionKey> onKey = this::handle;
    private final Thread thread;
    private final LongSupplier alloc;
    private volatile boolean stop;

    /** Per connection: output the kernel did not take yet (null when none is queued). */
    private static final class Conn {
        ByteBuffer pending;
    }

    private NioEchoServer(InetSocketAddress addr) throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(addr, 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = Thread.ofPlatform().name("nio-loop").unstarted(this);
        alloc = ServerMain.allocatedBytes(thread);
    }

    static NioEchoServer start(InetSocketAddress addr) throws IOException {
        NioEchoServer s = new NioEchoServer(addr);
        s.thread.start();
        return s;
    }

    @Override
    public void run() {
        try {
            while (!stop) selector.select(onKey);
        } catch (IOException e) {
            System.err.println("nio: " + e);
        } finally {
            try {
                for (SelectionKey k : selector.keys()) k.channel().close();
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void handle(SelectionKey k) {
        try {
            if (k.isAcceptable()) {
                for (int i = 0; i < 64; i++) {
                    SocketChannel c = server.accept();
                    if (c == null) break;
                    c.configureBlocking(false);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.register(selector, SelectionKey.OP_READ, new Conn());
                }
                return;
            }
            SocketChannel c = (SocketChannel) k.channel();
            Conn conn = (Conn) k.attachment();
            if (k.isWritable()) {
                ByteBuffer p = conn.pending;
                c.write(p);
                if (p.hasRemaining()) return;
                p.clear();
                k.interestOps(SelectionKey.OP_READ);
            }
            if (!k.isReadable() || (k.interestOps() & SelectionKey.OP_READ) == 0) return;
            ByteBuffer b = readBuf;
            b.clear();
            int n = c.read(b);
            if (n < 0) {
                k.cancel();
                c.close();
                return;
            }
            if (n == 0) return;
            b.flip();
            c.write(b);
            if (b.hasRemaining()) {
                ByteBuffer p = conn.pending;
                if (p == null || p.capacity() < b.remaining()) p = conn.pending = ByteBuffer.allocateDirect(Math.max(64 * 1024, b.remaining()));
                p.clear();
                p.put(b);
                p.flip();
                k.interestOps(SelectionKey.OP_WRITE);
            }
        } catch (IOException e) {
            k.cancel();
            try {
                k.channel().close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    @Override
    public int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    @Override
    public String stats() {
        return "alloc=" + alloc.getAsLong();
    }

    @Override
    public void close() {
        stop = true;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
