package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.poll.Trigger;
import io.github.ffmreactor.sys.NativeException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A broadcast chat room over TCP: every line a client sends goes to every other client, as
 * {@code 127.0.0.1:50312: the line}. Joins and departures are announced with a leading {@code *}.
 *
 * <p>A slow client cannot stall the room: each client's queued output is bounded by the loop's
 * {@code closeAbove} limit ({@code --max-queue}); a client past it is dropped, and the room is told
 * why. Lines longer than {@code MAX_LINE} bytes are cut into pieces of that size.
 */
public final class ChatServer {
    static final Set<String> OPTIONS = Set.of("host", "port", "trigger", "backend", "max-queue", "wait");
    static final String USAGE = "--host 127.0.0.1 --port 0 --max-queue 262144 --trigger level|edge --backend auto|... --wait block|...";

    static final int MAX_LINE = 4096;

    private final EventLoop loop;
    private final Consumer<String> log;
    private final Arena arena = Arena.ofAuto(); // freed with the server
    /** One message is assembled here, then written to each member: no allocation per message. */
    private final MemorySegment staging = arena.allocate(MAX_LINE + 128);

    private Member[] room = new Member[16];
    private int size;
    /** Nesting of broadcasts: a write can drop a member, whose departure is announced after. */
    private int depth;
    private final ArrayDeque<String> notices = new ArrayDeque<>();
    long lines, dropped;

    public ChatServer(EventLoop loop, Consumer<String> log) {
        this.loop = loop;
        this.log = log;
    }

    /** Loop options for a room whose clients may queue at most {@code maxQueue} bytes each. */
    public static LoopOptions options(long maxQueue) {
        return LoopOptions.defaults().withLimits(Math.max(1, maxQueue / 2), maxQueue);
    }

    public Listener listen(InetSocketAddress address, Trigger trigger) throws NativeException {
        return loop.listen(address, trigger, Member::new);
    }

    /** A handler for one more member, to serve a connection made some other way (a Unix socket...). */
    public Handler newMember() {
        return new Member();
    }

    /** Members in the room now (loop thread). */
    public int members() {
        return size;
    }

    private final class Member implements Handler {
        Connection c;
        String name;
        byte[] prefix;
        final byte[] partial = new byte[MAX_LINE];
        int partialLen;
        boolean gone;

        @Override
        public void onOpen(Connection c) {
            this.c = c;
            try {
                InetSocketAddress a = c.remoteAddress();
                name = a.getAddress().getHostAddress() + ":" + a.getPort();
            } catch (NativeException e) {
                name = "fd" + c.fd();
            }
            prefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
            if (size == room.length) room = Arrays.copyOf(room, size * 2);
            room[size++] = this;
            announce("* " + name + " joined");
        }

        @Override
        public void onData(Connection c, MemorySegment buf, int len) {
            int start = 0;
            for (int i = 0; i < len; i++) {
                if (buf.get(ValueLayout.JAVA_BYTE, i) != '\n') continue;
                line(buf, start, i - start);
                start = i + 1;
            }
            // Keep the tail for the next read; a line too long to keep goes out in pieces.
            while (start < len) {
                int n = Math.min(len - start, MAX_LINE - partialLen);
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, start, partial, partialLen, n);
                partialLen += n;
                start += n;
                if (partialLen == MAX_LINE) {
                    send(this, partial, 0, partialLen, null, 0, 0);
                    partialLen = 0;
                }
            }
        }

        private void line(MemorySegment buf, int off, int len) {
            if (len > 0 && buf.get(ValueLayout.JAVA_BYTE, off + len - 1) == '\r') len--;
            if (partialLen > 0) {
                int keep = partialLen;
                partialLen = 0;
                send(this, partial, 0, keep, buf, off, len);
            } else {
                send(this, null, 0, 0, buf, off, len);
            }
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            gone = true;
            if (cause == null) {
                announce("* " + name + " left");
            } else {
                dropped++;
                log.accept("chat: dropped " + name + ": " + cause.getMessage());
                announce("* " + name + " dropped: " + cause.getMessage());
            }
            if (depth == 0) compact();
        }
    }

    /** Sends {@code from}'s prefix, then head bytes, then the tail segment, then a newline, to all others. */
    private void send(Member from, byte[] head, int headOff, int headLen, MemorySegment tail, long tailOff, int tailLen) {
        if (depth > 0) {
            // Only announcements are sent from inside a broadcast, and they are queued.
            throw new IllegalStateException("nested chat send");
        }
        int total = Math.min(MAX_LINE, headLen + tailLen);
        int p = from.prefix.length;
        MemorySegment.copy(from.prefix, 0, staging, ValueLayout.JAVA_BYTE, 0, p);
        int h = Math.min(headLen, total);
        if (h > 0) MemorySegment.copy(head, headOff, staging, ValueLayout.JAVA_BYTE, p, h);
        int t = total - h;
        if (t > 0) MemorySegment.copy(tail, tailOff, staging, p + h, t);
        staging.set(ValueLayout.JAVA_BYTE, p + total, (byte) '\n');
        lines++;
        broadcast(from, p + total + 1);
    }

    private void announce(String text) {
        notices.add(text);
        if (depth == 0) drainNotices();
    }

    private void drainNotices() {
        for (String n; (n = notices.poll()) != null; ) {
            byte[] b = (n + "\n").getBytes(StandardCharsets.UTF_8);
            int len = Math.min(b.length, (int) staging.byteSize());
            MemorySegment.copy(b, 0, staging, ValueLayout.JAVA_BYTE, 0, len);
            broadcast(null, len);
        }
    }

    private void broadcast(Member from, int len) {
        depth++;
        try {
            for (int i = 0; i < size; i++) {
                Member m = room[i];
                if (m != from && !m.gone) m.c.write(staging, 0, len);
            }
        } finally {
            depth--;
        }
        if (depth == 0) {
            compact();
            drainNotices();
        }
    }

    private void compact() {
        int j = 0;
        for (int i = 0; i < size; i++) if (!room[i].gone) room[j++] = room[i];
        for (int i = j; i < size; i++) room[i] = null;
        size = j;
    }

    static int main(Args a, PrintStream out) throws Exception {
        long maxQueue = a.intValue("max-queue", 256 * 1024, 1024, Integer.MAX_VALUE);
        Trigger trigger = Serve.trigger(a);
        EventLoop loop = EventLoop.open(Serve.options(a, options(maxQueue)));
        ChatServer chat = new ChatServer(loop, msg -> {
            out.println(msg);
            out.flush();
        });
        Listener l;
        try {
            l = chat.listen(Serve.address(a), trigger);
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        return Serve.run("chat", loop, l, trigger, out);
    }
}
