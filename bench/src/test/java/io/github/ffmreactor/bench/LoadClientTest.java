package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.cli.EchoServer;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.WaitStrategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load client on the OS's default backend: it connects through the loop, and says why it could not. */
class LoadClientTest {
    @Test
    @Timeout(60)
    void echoesOnTheDefaultBackend() throws Exception {
        long fds0 = OpenFds.countable() ? OpenFds.count() : -1;
        EventLoop server = EventLoop.open(LoopOptions.defaults());
        Trigger trigger = LoadClient.edgeOrLevel(server.backend());
        Listener l = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, () -> EchoServer.ECHO);
        server.start("load-test-server");
        try (LoadClient client = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()), 8, 100, 2, 2)) {
            assertTrue(client.awaitCompleted(2_000, Duration.ofSeconds(30)), "stalled: " + client.firstError());
            assertEquals(0, client.errors(), client.firstError());
            assertEquals(2, client.loops());
        } finally {
            server.close();
        }
        if (fds0 >= 0) assertEquals(fds0, OpenFds.count(), "fds left open");
    }

    /** A spinning client: every byte still checked, and its loop polls instead of sleeping. */
    @Test
    @Timeout(60)
    void aSpinningClientEchoes() throws Exception {
        EventLoop server = EventLoop.open(LoopOptions.defaults());
        Trigger trigger = LoadClient.edgeOrLevel(server.backend());
        Listener l = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), trigger, () -> EchoServer.ECHO);
        server.start("load-test-server");
        try (LoadClient client = new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), l.port()), 1, 64, 1, 1,
                WaitStrategy.parse("spin"))) {
            assertTrue(client.awaitCompleted(2_000, Duration.ofSeconds(30)), "stalled: " + client.firstError());
            assertEquals(0, client.errors(), client.firstError());
            long waits = client.counters().get("waits"), roundTrips = client.completed();
            // A blocking client waits about once per round trip; a spinning one polls many times.
            assertTrue(waits > 2 * roundTrips, "waits " + waits + " for " + roundTrips + " round trips");
        } finally {
            server.close();
        }
    }

    @Test
    @Timeout(60)
    void aRefusedConnectNamesTheCallAndTheErrno() throws Exception {
        int port;
        // A port that was free a moment ago, with nothing listening now.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        long fds0 = OpenFds.countable() ? OpenFds.count() : -1;
        NativeException e = assertThrows(NativeException.class,
                () -> new LoadClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4, 64, 1, 2).close());
        assertTrue(e.getMessage().startsWith("connect: ECONNREFUSED"), e.getMessage());
        assertTrue(e.getMessage().contains(":" + port), e.getMessage());
        if (fds0 >= 0) assertEquals(fds0, OpenFds.count(), "fds left open");
    }

    @Test
    void edgeWhereTheBackendCanElseLevel() {
        assertEquals(Trigger.EDGE, LoadClient.edgeOrLevel(Backend.EPOLL));
        assertEquals(Trigger.EDGE, LoadClient.edgeOrLevel(Backend.KQUEUE));
        assertEquals(Trigger.LEVEL, LoadClient.edgeOrLevel(Backend.POLL));
        assertEquals(Trigger.LEVEL, LoadClient.edgeOrLevel(Backend.SELECT));
    }
}
