package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Datagram;
import io.github.ffmreactor.loop.DatagramHandler;
import io.github.ffmreactor.loop.DatagramOptions;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.LoopOptions;
import java.io.PrintStream;
import java.util.Set;

/**
 * The UDP echo server: every datagram back to its sender, unchanged. On Linux a readiness takes
 * up to {@code --batch} datagrams in one recvmmsg and sends the replies in one sendmmsg.
 */
public final class UdpEchoServer {
    private UdpEchoServer() {}

    static final Set<String> OPTIONS = Set.of("host", "port", "backend", "wait", "rcvbuf", "batch");
    static final String USAGE = "--host 127.0.0.1 --port 0 --rcvbuf 0|4MiB|... --batch 16 --backend auto|... --wait block|...";

    /** Sends each datagram back to where it came from. Stateless. */
    public static final DatagramHandler ECHO = (ch, buf, len, from) -> ch.sendTo(buf, 0, len, from);

    static int main(Args a, PrintStream out) throws Exception {
        int rcvbuf = a.sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE / 2);
        int batch = a.intValue("batch", DatagramOptions.defaults().batch(), 1, 1024);
        EventLoop loop = EventLoop.open(Serve.options(a, LoopOptions.defaults()));
        Datagram ch;
        try {
            ch = loop.openDatagram(Serve.address(a), DatagramOptions.defaults().withReceiveBuffer(rcvbuf).withBatch(batch), ECHO);
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        return Serve.udp("udp-echo", loop, ch, "", "", batch, out, () -> "");
    }
}
