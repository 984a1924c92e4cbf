package io.github.ffmreactor.loop;

import io.github.ffmreactor.testutil.FdCount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.Trigger;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The loop over each backend this OS offers, with each trigger the backend carries: echo round
 * trips from several blocking java.net clients at once, small messages and a 4 MiB burst that
 * fills the socket buffers (queued output, WRITE interest, back-pressure), then a clean shutdown.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoOnEveryBackendTest {
    static List<Arguments> backendsAndTriggers() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    @ParameterizedTest @MethodSource("backendsAndTriggers")
    void echoRoundTrips(String backend, Trigger trigger) throws Exception {
        int before = FdCount.now();
        EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(256 * 1024, 64L << 20));
        assertEquals(Backend.parse(backend), loop.backend());
        Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, () -> EchoServer.ECHO);
        Thread t = loop.start("echo-" + backend);
        try {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), l.port());
                    s.setSoTimeout(10_000);
                    clients.add(s);
                }
                Random rnd = new Random(42);
                for (int round = 0; round < 50; round++) {
                    for (Socket s : clients) {
                        byte[] msg = new byte[1 + rnd.nextInt(300)];
                        rnd.nextBytes(msg);
                        s.getOutputStream().write(msg);
                        assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length));
                    }
                }
                // A burst bigger than the socket buffers: the server must queue and flush on WRITE.
                byte[] big = new byte[4 << 20];
                rnd.nextBytes(big);
                Socket s = clients.get(0);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        OutputStream o = s.getOutputStream();
                        o.write(big);
                        o.flush();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                InputStream in = s.getInputStream();
                byte[] back = in.readNBytes(big.length);
                writer.join(10_000);
                assertArrayEquals(big, back);
                // The peer closes: the loop sees end of input (HANGUP, or read() == 0 under select).
                s.shutdownOutput();
                assertEquals(-1, in.read(), "the server closes after the client's FIN");
            } finally {
                for (Socket s : clients) s.close();
            }
        } finally {
            loop.shutdown(Duration.ofSeconds(2));
            assertTrue(loop.awaitTermination(Duration.ofSeconds(10)));
            t.join(10_000);
        }
        assertTrue(loop.stats().bytesIn() >= 4 << 20, loop.stats().toString());
        FdCount.assertBackTo(before);
    }
}
