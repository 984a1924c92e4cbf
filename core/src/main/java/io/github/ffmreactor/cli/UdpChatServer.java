package io.github.ffmreactor.cli;

import io.github.ffmreactor.loop.Datagram;
import io.github.ffmreactor.loop.DatagramHandler;
import io.github.ffmreactor.loop.DatagramOptions;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.loop.Timer;
import io.github.ffmreactor.loop.Endpoint;
import io.github.ffmreactor.NativeException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A chat room over UDP. A client joins by sending anything; {@code hb} (a heartbeat) keeps it in
 * the room without saying anything; {@code quit} leaves; any other datagram goes to every other
 * member as {@code 127.0.0.1:50312: text}. A member silent for longer than the expiry is dropped
 * ({@code * 127.0.0.1:50312 expired}). Silence is measured on the loop's {@link
 * io.github.ffmreactor.loop.Clock}, so a test clock can check expiry without waiting.
 *
 * <p>Relaying allocates nothing: the text is assembled in one native buffer and sent with
 * sendto to each member's stored sockaddr. Members are found by a linear scan of their stored
 * addresses, which suits a room of tens to hundreds.
 *
 * <p>The room holds at most {@code maxMembers} ({@code --max-members}, default 256): every source
 * port is a new member, so without a cap one host sending from many ports grew the table without
 * bound, and with it the cost of every datagram (a scan and a sendto per member). A datagram from
 * a newcomer while the room is full is ignored (no join, no relay, no reply that a forged source
 * could aim at someone), counted in {@link #refused()} and logged at most once a second.
 *
 * <p>A line longer than {@link #MAX_TEXT} bytes (so that each relayed datagram stays within one
 * Ethernet frame) is not relayed: its sender is told ({@code * line too long: 2000 bytes, the limit
 * is 1400: not relayed}) and it is counted ({@link #tooLong()}). The socket keeps
 * {@code MAX_TEXT + 2} bytes of each datagram (room for CR LF), so longer ones arrive cut and
 * flagged by the kernel rather than copied whole.
 *
 * <p>{@code --rcvbuf} sizes the socket's receive buffer: the kernel's default (about 208 KiB)
 * holds only a few hundred small datagrams, and a burst past it is dropped by the kernel, which
 * the drop counter printed on stop shows (Linux).
 */
public final class UdpChatServer implements DatagramHandler {
    static final Set<String> OPTIONS = Set.of("host", "port", "backend", "expire-ms", "max-members", "wait", "rcvbuf", "batch");
    static final String USAGE = "--host 127.0.0.1 --port 0 --expire-ms 30000 --max-members 256 --rcvbuf 0|4MiB|... --batch 16"
            + " --backend auto|... --wait block|...";

    /** The default cap on members. */
    public static final int DEFAULT_MAX_MEMBERS = 256;

    static final int MAX_TEXT = 1400;

    private final EventLoop loop;
    private final long expireNanos;
    private final int maxMembers;
    /** Datagrams from newcomers ignored because the room was full: in all, and since the last report. */
    private long refused, refusedUnreported;
    private long lastRefusalReport = Long.MIN_VALUE;
    /** Lines not relayed for being longer than {@link #MAX_TEXT}. */
    private long tooLong;
    private final Consumer<String> log;
    private final Arena arena = Arena.ofAuto(); // freed with the server
    private final MemorySegment staging = arena.allocate(MAX_TEXT + 128);
    private Member[] members = new Member[16];
    private int size;
    /** Endpoints of departed members, reused for the next to join: memory stays bounded under churn. */
    private final ArrayDeque<Endpoint> spare = new ArrayDeque<>();
    private Datagram channel;
    private Timer sweeper;

    private static final class Member {
        final Endpoint at;
        final String name;
        final byte[] prefix;
        long lastHeard;

        Member(Endpoint at, long now) {
            this.at = at;
            this.name = at.toString();
            this.prefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
            this.lastHeard = now;
        }
    }

    public UdpChatServer(EventLoop loop, Duration expiry, Consumer<String> log) {
        this(loop, expiry, DEFAULT_MAX_MEMBERS, log);
    }

    public UdpChatServer(EventLoop loop, Duration expiry, int maxMembers, Consumer<String> log) {
        if (expiry.toMillis() < 1) throw new IllegalArgumentException("expiry must be at least 1 ms");
        if (maxMembers < 1) throw new IllegalArgumentException("maxMembers < 1: " + maxMembers);
        this.loop = loop;
        this.maxMembers = maxMembers;
        this.expireNanos = expiry.toNanos();
        this.log = log;
    }

    /** Binds the room's socket and starts the expiry sweep (every quarter of the expiry). */
    public Datagram open(InetSocketAddress address) throws NativeException {
        return open(address, DatagramOptions.defaults());
    }

    /**
     * As {@link #open(InetSocketAddress)} with the socket's receive buffer and batch size from
     * {@code options}; its datagram limit is the room's own ({@link #MAX_TEXT} and CR LF).
     */
    public Datagram open(InetSocketAddress address, DatagramOptions options) throws NativeException {
        channel = loop.openDatagram(address, options.withMaxDatagram(MAX_TEXT + 2), this);
        long period = Math.max(1, expireNanos / 4);
        sweeper = loop.scheduleAtFixedRate(period, period, TimeUnit.NANOSECONDS, this::sweep);
        return channel;
    }

    /** Members in the room (loop thread). */
    public int members() {
        return size;
    }

    /** Datagrams from newcomers ignored because the room was full (loop thread). */
    public long refused() {
        return refused;
    }

    /** Lines not relayed because they were longer than {@link #MAX_TEXT} bytes (loop thread). */
    public long tooLong() {
        return tooLong;
    }

    /** When {@code who} was last heard from, on the loop's clock, or -1 if not a member (loop thread). */
    public long lastHeard(InetSocketAddress who) {
        for (int i = 0; i < size; i++) if (members[i].at.toInetSocketAddress().equals(who)) return members[i].lastHeard;
        return -1;
    }

    @Override
    public void onDatagram(Datagram ch, MemorySegment buf, int len, Endpoint from) {
        while (len > 0) {
            byte last = buf.get(ValueLayout.JAVA_BYTE, len - 1);
            if (last != '\n' && last != '\r') break;
            len--;
        }
        heard(buf, len, from, len > MAX_TEXT ? len : 0);
    }

    /** Longer than the socket keeps: the kernel cut it. {@code length} is -1 where the OS does not say. */
    @Override
    public void onTruncated(Datagram ch, MemorySegment buf, int kept, int length, Endpoint from) {
        heard(buf, kept, from, length > 0 ? length : kept);
    }

    /** A datagram of {@code len} bytes of text; {@code overLength} > 0: a line of that many bytes, not to relay. */
    private void heard(MemorySegment buf, int len, Endpoint from, int overLength) {
        long now = loop.clock().nanoTime();
        int i = find(from);
        boolean quit = overLength == 0 && is(buf, len, "quit");
        if (i < 0) {
            if (quit) return;
            if (size >= maxMembers) {
                refuse(now);
                return;
            }
            Endpoint copy = spare.isEmpty() ? Endpoint.allocate(arena) : spare.poll();
            copy.copyFrom(from);
            Member m = new Member(copy, now);
            if (size == members.length) members = Arrays.copyOf(members, size * 2);
            members[size] = m;
            i = size++;
            log.accept("udp-chat: " + m.name + " joined");
            announce("* " + m.name + " joined", m);
        }
        Member m = members[i];
        m.lastHeard = now;
        if (quit) {
            remove(i);
            log.accept("udp-chat: " + m.name + " left");
            announce("* " + m.name + " left", null);
        } else if (overLength > 0) {
            // Told, not cut: the reply is far shorter than the datagram, so no amplification.
            tooLong++;
            announceTo("* line too long: " + overLength + " bytes, the limit is " + MAX_TEXT + ": not relayed", m);
        } else if (len > 0 && !is(buf, len, "hb")) {
            int p = m.prefix.length;
            int n = len;
            MemorySegment.copy(m.prefix, 0, staging, ValueLayout.JAVA_BYTE, 0, p);
            MemorySegment.copy(buf, 0, staging, p, n);
            staging.set(ValueLayout.JAVA_BYTE, p + n, (byte) '\n');
            relay(p + n + 1, m);
        }
    }

    private void refuse(long now) {
        refused++;
        refusedUnreported++;
        if (lastRefusalReport == Long.MIN_VALUE || now - lastRefusalReport >= TimeUnit.SECONDS.toNanos(1)) {
            lastRefusalReport = now;
            log.accept("udp-chat: room full (" + maxMembers + " members): ignored " + refusedUnreported
                    + " datagram(s) from newcomers");
            refusedUnreported = 0;
        }
    }

    /** Drops members silent for longer than the expiry. Runs on the loop's timer. */
    void sweep() {
        long now = loop.clock().nanoTime();
        for (int i = size - 1; i >= 0; i--) {
            Member m = members[i];
            if (now - m.lastHeard > expireNanos) {
                remove(i);
                String why = m.name + " expired (silent for " + TimeUnit.NANOSECONDS.toMillis(now - m.lastHeard) + " ms)";
                log.accept("udp-chat: " + why);
                announce("* " + why, null);
            }
        }
    }

    private int find(Endpoint from) {
        for (int i = 0; i < size; i++) if (members[i].at.sameAs(from)) return i;
        return -1;
    }

    private void remove(int i) {
        spare.add(members[i].at);
        members[i] = members[--size];
        members[size] = null;
    }

    private static boolean is(MemorySegment buf, int len, String word) {
        if (len != word.length()) return false;
        for (int i = 0; i < len; i++) if (buf.get(ValueLayout.JAVA_BYTE, i) != word.charAt(i)) return false;
        return true;
    }

    private void announce(String text, Member except) {
        byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, (int) staging.byteSize());
        MemorySegment.copy(b, 0, staging, ValueLayout.JAVA_BYTE, 0, n);
        relay(n, except);
    }

    /** Sends {@code text} to {@code m} alone (allocates: rare). */
    private void announceTo(String text, Member m) {
        byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, staging, ValueLayout.JAVA_BYTE, 0, b.length);
        channel.sendTo(staging, 0, b.length, m.at);
    }

    private void relay(int len, Member except) {
        for (int i = 0; i < size; i++) {
            Member m = members[i];
            if (m != except) channel.sendTo(staging, 0, len, m.at);
        }
    }

    /** Stops the sweep and closes the socket (loop thread). */
    public void close() {
        if (sweeper != null) sweeper.cancel();
        if (channel != null) channel.close();
    }

    static int main(Args a, PrintStream out) throws Exception {
        long expire = a.intValue("expire-ms", 30_000, 1, Integer.MAX_VALUE);
        int maxMembers = a.intValue("max-members", DEFAULT_MAX_MEMBERS, 1, 65_536);
        int rcvbuf = a.sizeValue("rcvbuf", 0, 0, Integer.MAX_VALUE / 2);
        int batch = a.intValue("batch", DatagramOptions.defaults().batch(), 1, 1024);
        EventLoop loop = EventLoop.open(Serve.options(a, LoopOptions.defaults()));
        UdpChatServer room = new UdpChatServer(loop, Duration.ofMillis(expire), maxMembers, msg -> {
            out.println(msg);
            out.flush();
        });
        Datagram ch;
        try {
            ch = room.open(Serve.address(a), DatagramOptions.defaults().withReceiveBuffer(rcvbuf).withBatch(batch));
        } catch (Exception e) {
            loop.close();
            throw e;
        }
        return Serve.udp("udp-chat", loop, ch, " expire-ms=" + expire, rcvbuf > 0 ? " (asked " + rcvbuf + ")" : " (default)",
                batch, out, () -> " tooLong=" + room.tooLong + " refused=" + room.refused);
    }
}
