package io.github.ffmreactor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.testutil.Await;
import io.github.ffmreactor.testutil.FdCount;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the examples the package documentation shows (QuickStart's snippet regions). */
@Timeout(30)
class QuickStartTest {
    private static byte[] roundTrip(int port, byte[] msg) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream o = s.getOutputStream();
            o.write(msg);
            o.flush();
            InputStream in = s.getInputStream();
            return in.readNBytes(msg.length);
        }
    }

    @Test
    void theEchoExampleEchoesAndShutsDown() throws Exception {
        int before = FdCount.now();
        EventLoop[] loop = new EventLoop[1];
        int port = QuickStart.echo(loop);
        try {
            assertEquals("hello", new String(roundTrip(port, "hello".getBytes())));
            Await.until("the echo round trip counted", () -> QuickStart.stats(loop[0]).contains(" reads"));
        } finally {
            assertTrue(QuickStart.stop(loop[0]));
            loop[0].close();
        }
        Await.until("no fd left", () -> FdCount.now() <= before);
    }

    @Test
    void theOptionsExampleBuilds() {
        LoopOptions o = QuickStart.options();
        assertEquals(10_000, o.maxConnections());
        assertEquals(256 * 1024, o.pauseReadingAbove());
        assertEquals(0, o.lingerMillis());
        assertEquals(Backend.fromProperty(), o.backend());
    }

    @Test
    void theAttachmentExampleCountsPerConnection() throws Exception {
        int before = FdCount.now();
        try (EventLoop loop = EventLoop.open()) {
            Listener l = loop.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Trigger.LEVEL,
                    QuickStart.Counting::new);
            loop.start("counting");
            assertEquals("abc", new String(roundTrip(l.port(), "abc".getBytes())));
            assertEquals("defg", new String(roundTrip(l.port(), "defg".getBytes())));
            loop.shutdown(java.time.Duration.ofSeconds(2));
            assertTrue(loop.awaitTermination(java.time.Duration.ofSeconds(5)));
        }
        Await.until("no fd left", () -> FdCount.now() <= before);
    }
}
