package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.FrameHandler;
import io.github.ffmreactor.loop.LineHandler;
import io.github.ffmreactor.loop.Listener;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * A broadcast chat room over TCP and Unix sockets: every line a member sends goes to every other
 * member, as {@code 127.0.0.1:50312: the line} (a Unix-socket member is {@code unix#1},
 * {@code unix#2}...). Joins and departures are announced with a leading {@code *}.
 *
 * <p>Lines are cut by a {@link LineHandler}. A line of up to {@code maxLine} bytes goes out whole.
 * A longer one goes out in explicit pieces of {@code maxLine} bytes: every piece but the last is
 * sent as {@code name+ piece}, the last as {@code name: rest}, so a reader can join them.
 *
 * <p>A slow member cannot stall the room: each member's queued output is bounded by the loop's
 * {@code closeAbove} limit ({@code --max-queue}); a member past it is dropped, and the room is
 * told why. The room as a whole keeps within the loop's {@code outputBudget}: a broadcast is
 * written by the room, not by the members that queue it, so the loop's own budget (which pauses
 * reading from a connection that queues too much) cannot hold back the many non-readers a
 * broadcast fills. When the members' queues together pass the budget, the member with the longest
 * queue is dropped, until the room is within it again.
 */
public final class ChatServer {
    static final Set<String> OPTIONS = Set.of("host", "port", "trigger", "backend", "max-queue", "max-line", "unix", "wait");
    static final String USAGE = "--host 127.0.0.1 --port 0 [--unix PATH] --max-line 65536 --max-queue 262144"
            + " --trigger level|edge --backend auto|... --wait block|spin|spin-then-park:<duration>";

    /** The default longest line sent whole. */
    public static final int DEFAULT_MAX_LINE = 64 * 1024;
    /** Room for a member's name and the separator before the line in one message. */
    private static final int PREFIX_ROOM = 128;

    private final EventLoop loop;
    private final int maxLine;
    private final Consumer<String> log;
    private final Arena arena = Arena.ofAuto(); // freed with the server
    /** One message is assembled here, then written to each member: no allocation per message. */
    private final MemorySegment staging;

    private Member[] room = new Member[16];
    private int size;
    private int unixMembers;
    /** Nesting of broadcasts: a write can drop a member, whose departure is announced after. */
    private int depth;
    private final ArrayDeque<String> notices = new ArrayDeque<>();
    private boolean noticesScheduled;
    /** Made once: scheduling the notices allocates nothing. */
    private final Runnable sendNotices = this::sendScheduledNotices;
    long lines, dropped, evictions;
    /** The most output the members' queues may hold together: the loop's output budget. */
    private final long budget;

    public ChatServer(EventLoop loop, Consumer<String> log) {
        this(loop, DEFAULT_MAX_LINE, log);
    }

    public ChatServer(EventLoop loop, int maxLine, Consumer<String> log) {
        if (maxLine < 1) throw new IllegalArgumentException("maxLine < 1: " + maxLine);
        this.loop = loop;
        this.maxLine = maxLine;
        this.log = log;
        this.budget = loop.options().outputBudget();
        this.staging = arena.allocate(maxLine + PREFIX_ROOM + 1);
    }

    /** Loop options for a room whose members may queue at most {@code maxQueue} bytes each. */
    public static LoopOptions options(long maxQueue) {
        return LoopOptions.defaults().withLimits(Math.max(1, maxQueue / 2), maxQueue);
    }

    public Listener listen(InetSocketAddress address, Trigger trigger) throws NativeException {
        return loop.listen(address, trigger, () -> LineHandler.of(maxLine, LineHandler.Overlong.SPLIT, new Member(false)));
    }

    /** Also takes members on a Unix domain socket at {@code path} (which must not exist yet). */
    public Listener listen(Path path, Trigger trigger) throws NativeException {
        return loop.listen(path, trigger, () -> LineHandler.of(maxLine, LineHandler.Overlong.SPLIT, new Member(true)));
    }

    /** Members in the room now (loop thread). */
    public int members() {
        return size;
    }

    private final class Member implements FrameHandler {
        final boolean unix;
        Connection c;
        String name;
        byte[] prefix, piecePrefix;
        boolean gone;
        /** Why the room closed this member (over the room's budget), or null. */
        String evicted;

        Member(boolean unix) {
            this.unix = unix;
        }

        @Override
        public void onOpen(Connection c) {
            this.c = c;
            name = unix ? "unix#" + ++unixMembers : inetName(c);
            prefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
            piecePrefix = (name + "+ ").getBytes(StandardCharsets.UTF_8);
            if (size == room.length) room = Arrays.copyOf(room, size * 2);
            room[size++] = this;
            announce("* " + name + " joined");
        }

        @Override
        public void onFrame(Connection c, MemorySegment buf, long off, int len, boolean last) {
            send(this, last ? prefix : piecePrefix, buf, off, len);
        }

        @Override
        public void onEndMidFrame(Connection c, MemorySegment buf, long off, int len) {
            send(this, prefix, buf, off, len); // said without a final newline: still said
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            gone = true;
            if (cause == null && evicted != null) cause = new IOException(evicted);
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

    private static String inetName(Connection c) {
        try {
            InetSocketAddress a = c.remoteAddress();
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        } catch (NativeException | RuntimeException e) {
            return "fd" + c.fd();
        }
    }

    /** Sends the prefix, {@code buf[off, off+len)} and a newline to every member but {@code from}. */
    private void send(Member from, byte[] prefix, MemorySegment buf, long off, int len) {
        if (depth > 0) {
            // Only announcements are sent from inside a broadcast, and they are queued.
            throw new IllegalStateException("nested chat send");
        }
        if (!notices.isEmpty()) drainNotices(); // the joins and departures before this line, first
        int p = Math.min(prefix.length, PREFIX_ROOM);
        MemorySegment.copy(prefix, 0, staging, ValueLayout.JAVA_BYTE, 0, p);
        MemorySegment.copy(buf, off, staging, p, len);
        staging.set(ValueLayout.JAVA_BYTE, p + len, (byte) '\n');
        lines++;
        broadcast(from, p + len + 1);
    }

    /**
     * Queues a notice; the loop sends the queued ones together once this turn's events are handled
     * (or before the next line, to keep the order). One message per member per batch: a burst of
     * N joins cost N broadcasts of one line each, N*N/2 writes (1,000 members joining at once kept
     * the room from relaying anything for over a second).
     */
    private void announce(String text) {
        notices.add(text);
        scheduleNotices();
    }

    private void scheduleNotices() {
        if (noticesScheduled) return;
        noticesScheduled = true;
        try {
            loop.execute(sendNotices);
        } catch (RejectedExecutionException closing) {
            noticesScheduled = false; // the loop is closing: say it now, to whoever is still here
            if (depth == 0) drainNotices();
        }
    }

    private void sendScheduledNotices() {
        noticesScheduled = false;
        drainNotices();
    }

    /** Sends every queued notice, as many whole ones per message as the staging buffer holds. */
    private void drainNotices() {
        int cap = (int) staging.byteSize();
        while (!notices.isEmpty()) {
            int len = 0;
            for (String n; (n = notices.peek()) != null; ) {
                byte[] b = (n + "\n").getBytes(StandardCharsets.UTF_8);
                if (len > 0 && b.length > cap - len) break;
                notices.poll();
                int k = Math.min(b.length, cap - len);
                MemorySegment.copy(b, 0, staging, ValueLayout.JAVA_BYTE, len, k);
                len += k;
            }
            broadcast(null, len);
        }
    }

    private void broadcast(Member from, int len) {
        depth++;
        try {
            long queued = 0;
            for (int i = 0; i < size; i++) {
                Member m = room[i];
                if (m.gone) continue;
                if (m != from) m.c.write(staging, 0, len);
                queued += m.c.pendingOutput();
            }
            if (queued > budget) evictDown(queued);
        } finally {
            depth--;
        }
        if (depth == 0) {
            compact();
            if (!notices.isEmpty()) scheduleNotices();
        }
    }

    /** Drops the members with the longest queues until the room's queued output is within budget. */
    private void evictDown(long queued) {
        while (queued > budget) {
            Member worst = null;
            for (int i = 0; i < size; i++) {
                Member m = room[i];
                if (!m.gone && (worst == null || m.c.pendingOutput() > worst.c.pendingOutput())) worst = m;
            }
            if (worst == null || worst.c.pendingOutput() == 0) return;
            long q = worst.c.pendingOutput();
            worst.evicted = "the room's queued output reached " + queued + " bytes, over its budget of " + budget
                    + ": this member's " + q + " bytes were the most";
            queued -= q;
            worst.c.close();
            evictions++;
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
        int maxLine = a.intValue("max-line", DEFAULT_MAX_LINE, 1, 16 << 20);
        String unix = a.get("unix", null);
        Trigger trigger = Serve.trigger(a);
        EventLoop loop = EventLoop.open(Serve.options(a, options(maxQueue)));
        ChatServer chat = new ChatServer(loop, maxLine, msg -> {
            out.println(msg);
            out.flush();
        });
        Listener l;
        try {
            l = chat.listen(Serve.address(a), trigger);
            if (unix != null) {
                chat.listen(Path.of(unix), trigger);
                out.println("ffmreactor chat also listening on unix:" + unix);
            }
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        return Serve.run("chat", loop, l, trigger, out);
    }
}
