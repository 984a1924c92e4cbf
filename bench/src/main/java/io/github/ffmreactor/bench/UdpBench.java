package io.github.ffmreactor.bench;

import io.github.ffmreactor.cli.UdpEchoServer;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.Datagram;
import io.github.ffmreactor.loop.DatagramOptions;
import io.github.ffmreactor.loop.EventLoop;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The UDP echo cell: {@code udp [--senders 1,16] [--seconds 5] [--size 64] [--window 16]
 * [--batch 32] [--out FILE]}. Each server runs in its own process (so that its utime+stime is its
 * own) with a 4 MiB receive buffer and batches of {@code --batch}: the C recvmmsg/sendmmsg peer
 * ({@code c-udp-mmsg}, which asks for SO_RXQ_OVFL as ffmreactor does, so both do the same work), Netty's epoll datagram channel ({@code netty-udp-epoll}, recvmmsg through
 * {@code MAX_DATAGRAM_PAYLOAD_SIZE}, sendmmsg for a flush of several packets) and ffmreactor's
 * {@code udp-echo} handler ({@code ffm-udp}). The load: {@code --senders} threads on 127.0.0.1,
 * each sending a window of datagrams and then reading the echoes back, a window's missing echoes
 * counted as lost after 100 ms; bounded in time ({@code --seconds}) and count (10 million per
 * sender). Reports datagrams echoed per second and server CPU per datagram, with ratios to C.
 *
 * <p>{@code udp-server <impl> [--batch 32]}: one of those servers in this process, printing
 * {@code ready port=P pid=N impl=X}; exits when stdin ends.
 */
final class UdpBench {
    private UdpBench() {}

    static final List<String> SERVERS = List.of("c-udp-mmsg", "netty-udp-epoll", "ffm-udp");
    static final int RCVBUF = 4 << 20;
    private static final Pattern READY = Pattern.compile("ready port=(\\d+) pid=(\\d+)");
    private static final long MAX_PER_SENDER = 10_000_000;

    // ---- servers ---------------------------------------------------------------------------------

    static int server(String[] args) throws Exception {
        Opts o = Opts.parse(args, 2, Set.of("batch"));
        if (args.length < 2 || args[1].startsWith("--")) throw new Opts.Bad("which server? one of " + SERVERS);
        String impl = args[1];
        int batch = o.intValue("batch", 32, 1, 1024);
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        AutoCloseable running;
        int port;
        switch (impl) {
            case "ffm-udp" -> {
                EventLoop loop = EventLoop.open();
                Datagram ch = loop.openDatagram(addr, DatagramOptions.defaults().withReceiveBuffer(RCVBUF)
                        .withBatch(batch).withMaxDatagram(2048), UdpEchoServer.ECHO);
                port = ch.localAddress().getPort();
                loop.start("ffm-udp");
                running = loop;
            }
            case "netty-udp-epoll" -> {
                EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                Channel ch = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                        .option(ChannelOption.SO_RCVBUF, RCVBUF)
                        // recvmmsg: Netty reads up to (buffer / payload size) datagrams per call.
                        .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 2048)
                        .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(2048 * batch))
                        .handler(NettyUdpEcho.INSTANCE)
                        .bind(addr).sync().channel();
                port = ((InetSocketAddress) ch.localAddress()).getPort();
                running = () -> {
                    ch.close().sync();
                    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
                };
            }
            default -> throw new Opts.Bad("unknown UDP server '" + impl + "' (in-process: ffm-udp, netty-udp-epoll)");
        }
        System.out.println("ready port=" + port + " pid=" + ProcessHandle.current().pid() + " impl=" + impl);
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            while (in.readLine() != null) {
                // only end of file matters
            }
        } finally {
            running.close();
        }
        return 0;
    }

    /** Netty's echo as its examples write it: write on read, flush on read-complete. */
    @ChannelHandler.Sharable
    static final class NettyUdpEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        static final NettyUdpEcho INSTANCE = new NettyUdpEcho();

        @Override
        @SuppressWarnings("FutureReturnValueIgnored") // voidPromise: no future to check; a failed write fires exceptionCaught
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            ctx.write(new DatagramPacket(p.content().retain(), p.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** A server process: its port and pid; closing its stdin stops it. */
    record Proc(String impl, Process process, int port, long pid) implements AutoCloseable {
        static Proc start(String impl, int batch) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            if (impl.equals("c-udp-mmsg")) {
                cmd.addAll(List.of(CServer.binary("udp_echo_mmsg.c").toString(), "0", Integer.toString(batch), Integer.toString(RCVBUF)));
            } else {
                cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED", "-Xms256m", "-Xmx256m", "-XX:+UseParallelGC",
                        "-Dio.netty.leakDetection.level=disabled"));
                // As for the TCP servers: extra JVM options for the server processes (a profiler's, say).
                for (String a : System.getProperty("ffmreactor.bench.serverJvmArgs", "").trim().split("\\s+", -1)) {
                    if (!a.isEmpty()) cmd.add(a);
                }
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
                        BenchMain.class.getName(), "udp-server", impl, "--batch", Integer.toString(batch)));
            }
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine(); // the servers print their ready line first
            Matcher m = line == null ? null : READY.matcher(line);
            if (m == null || !m.find()) {
                p.destroy();
                throw new IOException("UDP server " + impl + " did not print its ready line: " + line);
            }
            return new Proc(impl, p, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
        }

        @Override
        public void close() {
            ServerProcess.stop(process, process.getOutputStream());
        }
    }

    // ---- load --------------------------------------------------------------------------------------

    /** What the senders saw: echoes received, datagrams sent, and those lost (not back within 100 ms). */
    record Load(long sent, long echoed, long lost) {}

    /**
     * {@code senders} threads against {@code port} for {@code duration}: each sends {@code window}
     * datagrams of {@code size} bytes, then reads echoes until it has them all or 100 ms pass
     * (the missing ones are lost). Echoes of an earlier window arriving late are ignored.
     */
    static Load load(int port, int senders, int size, int window, Duration duration) throws Exception {
        long deadline = System.nanoTime() + duration.toNanos();
        long[][] counts = new long[senders][3];
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        for (int s = 0; s < senders; s++) {
            long[] c = counts[s];
            threads.add(Thread.ofPlatform().name("udp-sender-" + s).start(() -> {
                try (DatagramSocket sock = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                    sock.setReceiveBufferSize(1 << 20);
                    sock.setSoTimeout(100);
                    sock.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                    byte[] out = new byte[size], in = new byte[Math.max(size, 2048)];
                    java.net.DatagramPacket sp = new java.net.DatagramPacket(out, size); // Netty's DatagramPacket is imported
                    java.net.DatagramPacket rp = new java.net.DatagramPacket(in, in.length);
                    long round = 0;
                    while (System.nanoTime() < deadline && c[0] < MAX_PER_SENDER) {
                        round++;
                        putLong(out, round);
                        for (int i = 0; i < window; i++) {
                            sock.send(sp);
                            c[0]++;
                        }
                        int got = 0;
                        while (got < window) {
                            try {
                                rp.setLength(in.length);
                                sock.receive(rp);
                            } catch (SocketTimeoutException e) {
                                break;
                            }
                            if (rp.getLength() == size && getLong(in) == round) got++; // else a late echo
                        }
                        c[1] += got;
                        c[2] += window - got;
                    }
                } catch (Exception e) {
                    failed.set(true);
                    e.printStackTrace();
                }
            }));
        }
        for (Thread t : threads) t.join(duration.toMillis() + 30_000);
        if (failed.get()) throw new IOException("a UDP sender failed (stack trace above)");
        long sent = 0, echoed = 0, lost = 0;
        for (long[] c : counts) {
            sent += c[0];
            echoed += c[1];
            lost += c[2];
        }
        return new Load(sent, echoed, lost);
    }

    private static void putLong(byte[] b, long v) {
        for (int i = 0; i < 8 && i < b.length; i++) b[i] = (byte) (v >>> (8 * i));
    }

    private static long getLong(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8 && i < b.length; i++) v |= (b[i] & 0xffL) << (8 * i);
        return v;
    }

    // ---- the cell ----------------------------------------------------------------------------------

    /** One server at one sender count; CPU in ns per datagram echoed (user and system: /proc ticks). */
    record Row(String server, int senders, double perSecond, double cpuNanosPerDatagram, double userNanos, double systemNanos,
               long sent, long echoed, long lost) {}

    static int run(String[] args) throws Exception {
        Opts o = Opts.parse(args, 1, Set.of("senders", "seconds", "size", "window", "batch", "servers", "out", "warmup"));
        List<Integer> senders = new ArrayList<>();
        for (String s : o.get("senders", "1,16").split(",", -1)) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n < 1 || n > 1024) throw new NumberFormatException();
                senders.add(n);
            } catch (NumberFormatException e) {
                throw new Opts.Bad("--senders takes a comma-separated list of 1 to 1024, got '" + s + "'");
            }
        }
        int seconds = o.intValue("seconds", 5, 1, 600);
        int warmup = o.intValue("warmup", 2, 0, 600);
        int size = o.size("size", 64, 8, 2048);
        int window = o.intValue("window", 16, 1, 256);
        int batch = o.intValue("batch", 32, 1, 1024);
        List<String> servers = new ArrayList<>();
        for (String s : o.get("servers", String.join(",", SERVERS)).split(",", -1)) {
            s = s.trim();
            if (!SERVERS.contains(s)) throw new Opts.Bad("unknown UDP server '" + s + "' (known: " + SERVERS + ")");
            if (s.equals("c-udp-mmsg") && CServer.gccPath() == null) {
                System.out.println("c-udp-mmsg skipped: no gcc on PATH");
                continue;
            }
            if (s.equals("netty-udp-epoll") && !io.netty.channel.epoll.Epoll.isAvailable()) {
                System.out.println("netty-udp-epoll skipped: " + io.netty.channel.epoll.Epoll.unavailabilityCause());
                continue;
            }
            if (s.equals("ffm-udp") && !EventLoop.backends().contains(Backend.EPOLL)) {
                System.out.println("ffm-udp skipped: not Linux (recvmmsg)");
                continue;
            }
            servers.add(s);
        }
        List<Row> rows = new ArrayList<>();
        for (int n : senders) {
            for (String impl : servers) {
                try (Proc p = Proc.start(impl, batch)) {
                    if (warmup > 0) load(p.port, n, size, window, Duration.ofSeconds(warmup));
                    ProcCpu before = ProcCpu.of(p.pid);
                    Load l = load(p.port, n, size, window, Duration.ofSeconds(seconds));
                    ProcCpu used = ProcCpu.of(p.pid).minus(before);
                    double per = Math.max(1, l.echoed);
                    Row r = new Row(impl, n, l.echoed / (double) seconds, (used.userNanos() + used.systemNanos()) / per,
                            used.userNanos() / per, used.systemNanos() / per, l.sent, l.echoed, l.lost);
                    rows.add(r);
                    System.out.printf("udp cell: %-16s senders=%-2d %,12.0f datagrams/s  %,8.0f ns CPU/datagram  (sent %d, echoed %d, lost %d)%n",
                            impl, n, r.perSecond, r.cpuNanosPerDatagram, l.sent, l.echoed, l.lost);
                }
            }
        }
        String table = table(rows, size, window, batch, seconds);
        System.out.print(table);
        String out = o.get("out", null);
        if (out != null) Files.writeString(Path.of(out), table);
        return 0;
    }

    /** The rows as a table, with each server's ratios to c-udp-mmsg at the same number of senders. */
    static String table(List<Row> rows, int size, int window, int batch, int seconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("UDP echo: %d B datagrams, window %d per sender, batch %d, SO_RCVBUF %d, %d s measured;"
                + " C and ffm both count kernel drops (SO_RXQ_OVFL)%n", size, window, batch, RCVBUF, seconds));
        b.append(String.format("%-16s %7s %14s %12s %8s %8s %10s %10s %8s%n", "server", "senders", "datagrams/s", "CPU ns/dgram",
                "user", "system", "rate/C", "CPU/C", "lost"));
        Map<Integer, Row> c = new LinkedHashMap<>();
        for (Row r : rows) if (r.server.equals("c-udp-mmsg")) c.put(r.senders, r);
        for (Row r : rows) {
            Row base = c.get(r.senders);
            b.append(String.format("%-16s %7d %,14.0f %,12.0f %,8.0f %,8.0f %10s %10s %8d%n", r.server, r.senders, r.perSecond,
                    r.cpuNanosPerDatagram, r.userNanos, r.systemNanos,
                    base == null ? "-" : String.format("%.2fx", r.perSecond / base.perSecond),
                    base == null ? "-" : String.format("%.2fx", r.cpuNanosPerDatagram / base.cpuNanosPerDatagram),
                    r.lost));
        }
        b.append("target: ffm-udp CPU per datagram <= 1.00x c-udp-mmsg's\n");
        return b.toString();
    }

}
