package io.github.ffmreactor.examples;

import io.github.ffmreactor.loop.*;
import io.github.ffmreactor.Trigger;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import static java.nio.charset.StandardCharsets.UTF_8;

/** A key-value service, one request per line: SET k v [ttl-ms] | GET k | DEL k. */
public final class KeyValueExample {
    private final Map<String, String> store = new HashMap<>();
    private final Map<String, Timer> expiries = new HashMap<>(); // both maps: loop thread only, no locks

    public Listener start(EventLoop loop, InetSocketAddress at) throws Exception {
        // One LineHandler per connection: it hands over whole lines (no \n), at most 4 KiB each.
        return loop.listen(at, Trigger.LEVEL, () -> LineHandler.of(4096, LineHandler.Overlong.ERROR,
                (conn, buf, off, len, last) -> {
                    String line = new String(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), UTF_8);
                    String reply = handle(loop, line.strip().split(" +", 4));
                    conn.write((reply + "\n").getBytes(UTF_8));
                }));
    }

    private String handle(EventLoop loop, String[] w) {
        switch (w[0]) {
            case "GET" -> { String v = w.length == 2 ? store.get(w[1]) : null; return v == null ? "NONE" : "VALUE " + v; }
            case "DEL" -> { if (w.length != 2) return "ERR usage: DEL key"; forget(w[1]); store.remove(w[1]); return "OK"; }
            case "SET" -> {
                if (w.length < 3 || (w.length == 4 && !w[3].matches("\\d{1,18}"))) return "ERR usage: SET key value [ttl-ms]";
                forget(w[1]);
                store.put(w[1], w[2]);
                if (w.length == 4) expiries.put(w[1], loop.schedule(Long.parseLong(w[3]), TimeUnit.MILLISECONDS,
                        () -> { store.remove(w[1]); expiries.remove(w[1]); }));  // runs on the loop thread too
                return "OK";
            }
            default -> { return "ERR unknown command " + w[0]; }
        }
    }

    private void forget(String key) { Timer t = expiries.remove(key); if (t != null) t.cancel(); }

    public static void main(String[] args) throws Exception {
        EventLoop loop = EventLoop.open();
        Listener l = new KeyValueExample().start(loop, new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
        System.out.println("key-value service on port " + l.port());
        loop.run();  // this thread is the loop thread now
    }
}
