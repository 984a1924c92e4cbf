package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The UDP echo cell: bounded load that counts losses, and a short run against real servers. */
@Timeout(120)
class UdpBenchTest {
    @Test
    void loadCountsLossesAgainstAPeerThatNeverAnswers() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long t0 = System.nanoTime();
            UdpBench.Load l = UdpBench.load(silent.getLocalPort(), 2, 64, 8, Duration.ofMillis(500));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, l.echoed());
            assertTrue(l.sent() > 0, "sent " + l.sent());
            assertEquals(l.sent(), l.lost(), "every unanswered datagram is counted lost");
            assertTrue(ms < 5_000, "bounded in time: " + ms + " ms");
        }
    }

    @Test
    void aShortCellAgainstTheCPeerAndFfmreactor(@TempDir Path dir) throws Exception {
        assumeTrue(io.github.ffmreactor.loop.EventLoop.backends().contains(io.github.ffmreactor.loop.Backend.EPOLL), "Linux");
        Path out = dir.resolve("udp.txt");
        assertEquals(0, BenchMain.run(new String[] {"udp", "--servers", "c-udp-mmsg,ffm-udp", "--senders", "1",
                "--seconds", "1", "--warmup", "0", "--out", out.toString()}));
        String table = Files.readString(out);
        assertTrue(table.contains("ffm-udp"), table);
        if (CServer.gccPath() != null) assertTrue(table.lines().anyMatch(l -> l.startsWith("c-udp-mmsg") && l.contains("1.00x")), table);
        assertTrue(table.contains("target: ffm-udp CPU per datagram <= 1.00x c-udp-mmsg's"), table);
    }

    @Test
    void unknownServersAreNamed() throws Exception {
        assertEquals(2, BenchMain.run(new String[] {"udp", "--servers", "nope"}));
    }
}
