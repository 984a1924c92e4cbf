package io.github.ffmreactor.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Blocking sockets on virtual threads, one per connection: the modern plain-Java alternative.
 * The launcher sets {@code -Djdk.virtualThreadScheduler.parallelism=1} (one carrier thread), so
 * like every other server it runs on one core.
 */
final class VirtualThreadEchoServer implements ServerMain.Running {
    private final ServerSocket server;

    private VirtualThreadEchoServer(InetSocketAddress addr) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(addr, 1024);
        Thread.ofVirtual().name("vt-accept").start(this::acceptLoop);
    }

    static VirtualThreadEchoServer start(InetSocketAddress addr) throws IOException {
        return new VirtualThreadEchoServer(addr);
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> serve(s));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void serve(Socket s) {
        byte[] buf = new byte[64 * 1024];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
        } catch (IOException e) {
            // the peer went away
        }
    }

    @Override
    public int port() {
        return server.getLocalPort();
    }

    @Override
    public String stats() {
        return "none";
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
