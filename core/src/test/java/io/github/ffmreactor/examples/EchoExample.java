package io.github.ffmreactor.examples;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.*;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;

/** An echo server on the port given (0: any free one); Ctrl-C stops it gracefully. */
public final class EchoExample {
    public static void main(String[] args) throws Exception {
        EventLoop loop = EventLoop.open();                        // the best backend here: epoll, kqueue...
        Listener l = loop.listen(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), Trigger.EDGE,
                () -> new Handler() {                             // one per connection, run on the loop thread,
                    long bytes;                                   // so its state needs no lock
                    @Override public void onData(Connection c, MemorySegment buf, int len) {
                        bytes += len;
                        c.write(buf, 0, len);                     // buf is valid during this call only
                    }
                    @Override public void onClose(Connection c, Throwable cause) {
                        System.out.println("closed after " + bytes + " bytes" + (cause == null ? "" : ": " + cause));
                    }
                });
        System.out.println("echo on port " + l.port());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {  // another thread: it may ask, the loop acts
            loop.shutdown(Duration.ofSeconds(2));                 // stop accepting, flush, close every fd
            try { loop.awaitTermination(Duration.ofSeconds(5)); } catch (InterruptedException e) { }
        }));
        loop.run();                                               // this thread is the loop thread now
    }
}
