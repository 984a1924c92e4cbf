package io.github.ffmreactor.stress;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A client process for {@link KilledClientsStressTest}: opens connections to the echo server,
 * writes to each without ever reading (so echoed bytes wait, unread, in its receive buffers and
 * the server has output queued for it), prints {@code ready <connections> <bytes>}, and waits to
 * be killed. It ends by itself after two minutes, should its parent die first.
 * Arguments: port, connections, bytes per connection at most.
 */
public final class KilledClientsChild {
    private KilledClientsChild() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0]));
        int n = Integer.parseInt(args[1]);
        long cap = Long.parseLong(args[2]);
        List<SocketChannel> conns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SocketChannel ch = SocketChannel.open();
            // A small receive buffer: the server's echo backs up into its own queue quickly.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            ch.connect(server);
            ch.configureBlocking(false);
            conns.add(ch);
        }
        long[] sent = new long[n];
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        long total = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        long idleSince = 0;
        // Write until every connection has sent its cap or none has taken a byte for 300 ms.
        while (System.nanoTime() < deadline) {
            boolean progress = false;
            for (int i = 0; i < n; i++) {
                if (sent[i] >= cap) continue;
                buf.clear().limit((int) Math.min(buf.capacity(), cap - sent[i]));
                int w = conns.get(i).write(buf);
                sent[i] += w;
                total += w;
                progress |= w > 0;
            }
            if (progress) {
                idleSince = 0;
            } else if (idleSince == 0) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > 300_000_000L) {
                break;
            } else {
                Thread.sleep(5); // peers stalled: a pause before trying again
            }
        }
        System.out.println("ready " + n + " " + total);
        System.out.flush();
        Thread.sleep(120_000);
    }
}
