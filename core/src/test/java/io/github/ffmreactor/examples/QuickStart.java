package io.github.ffmreactor.examples;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.LoopStats;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The examples the package documentation shows, compiled by the build and run by
 * {@link QuickStartTest}: javadoc takes the regions marked below ({@code --snippet-path}).
 */
public final class QuickStart {
    private QuickStart() {}

    /** An echo server on an ephemeral loopback port; returns the port, serves until shut down. */
    static int echo(EventLoop[] out) throws Exception {
        // @start region="echo"
        EventLoop loop = EventLoop.open();                          // the best backend of this OS
        loop.onError((conn, error) -> System.err.println(conn + ": " + error)); // a channel failed
        Listener l = loop.listen(new InetSocketAddress("127.0.0.1", 0), Trigger.EDGE,
                () -> (conn, buf, len) -> conn.write(buf, 0, len));  // one Handler per connection
        loop.start("echo-loop");                                    // or loop.run() on this thread
        System.out.println("echo on port " + l.port());
        // ... later, from any thread:
        // loop.shutdown(Duration.ofSeconds(2));   stop accepting, flush, close every fd
        // loop.awaitTermination(Duration.ofSeconds(5));
        // @end
        out[0] = loop;
        return l.port();
    }

    /** Options from the builder. */
    static LoopOptions options() {
        // @start region="options"
        LoopOptions options = LoopOptions.builder()
                .backend(Backend.fromProperty())              // -Dffmreactor.backend, or Backend.EPOLL...
                .maxConnections(10_000)
                .pauseReadingAbove(256 * 1024)
                .build();                                        // checks every setting, names a bad one
        LoopOptions quick = options.toBuilder().lingerMillis(0).build();  // a copy with one change
        // @end
        return quick;
    }

    // @start region="attachment"
    /** Counts each connection's bytes in its attachment and reports the total when it closes. */
    static final class Counting implements Handler {
        static final class Count {
            long bytes;
        }

        @Override
        public void onOpen(Connection c) {
            c.attach(new Count());                               // per-connection state
        }

        @Override
        public void onData(Connection c, MemorySegment buf, int len) {
            c.attachment(Count.class).bytes += len;              // typed: no cast at the call site
            c.write(buf, 0, len);
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            System.out.println(c.attachment(Count.class).bytes + " bytes, cause " + cause);
        }
    }
    // @end

    /** The loop's counters. */
    static String stats(EventLoop loop) {
        // @start region="stats"
        LoopStats s = loop.stats();                              // a snapshot, from any thread
        String line = s.reads() + " reads, " + s.eagains() + " EAGAIN, " + s.open() + " open";
        // @end
        return line;
    }

    /** Shuts a loop down as the echo example says. */
    static boolean stop(EventLoop loop) throws InterruptedException {
        loop.shutdown(Duration.ofSeconds(2));
        return loop.awaitTermination(Duration.ofSeconds(5));
    }
}
