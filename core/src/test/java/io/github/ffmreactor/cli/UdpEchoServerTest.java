package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code udp-echo}: datagrams back to their senders, its startup line and counters, a bind failure. */
@Timeout(60)
class UdpEchoServerTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void echoesAndReportsItsCountersOnStop() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(javaCmd, "--enable-native-access=ALL-UNNAMED", "-cp",
                Path.of("target", "classes").toAbsolutePath().toString(), "io.github.ffmreactor.cli.Main",
                "udp-echo", "--port", "0", "--batch", "8").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("ffmreactor udp-echo listening on 127.0.0.1:"), line);
            boolean linux = io.github.ffmreactor.sys.Platform.CURRENT == io.github.ffmreactor.sys.Platform.LINUX;
            assertTrue(line.contains(linux ? " io=recvmmsg/sendmmsg batch=8 " : " io=recvfrom/sendto "), line);
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                c.setSoTimeout(5000);
                for (int i = 0; i < 3; i++) {
                    byte[] b = ("ping " + i).getBytes(StandardCharsets.US_ASCII);
                    c.send(new DatagramPacket(b, b.length, LOOPBACK, Integer.parseInt(m.group(1))));
                    DatagramPacket r = new DatagramPacket(new byte[64], 64);
                    c.receive(r);
                    assertEquals("ping " + i, new String(r.getData(), 0, r.getLength(), StandardCharsets.US_ASCII));
                }
            }
            p.toHandle().destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped on SIGTERM");
            String rest = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(rest.contains("udp: received=3 sent=3 sendDrops=0 truncated=0 kernelDrops=0"), rest);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aPortInUseIsAClearErrorAndExit1() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = Main.run(new String[] {"udp-echo", "--port", String.valueOf(taken.getLocalPort())},
                    new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(err, true, StandardCharsets.UTF_8));
            String s = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, rc, s);
            assertTrue(s.startsWith("ffmreactor udp-echo: bind ") && s.contains("EADDRINUSE"), s);
        }
    }
}
