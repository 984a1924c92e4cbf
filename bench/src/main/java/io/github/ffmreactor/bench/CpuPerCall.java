package io.github.ffmreactor.bench;

import io.github.ffmreactor.sys.Epoll;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * Thread CPU nanoseconds per call of a few core bindings, best of N rounds: on a machine busy with
 * other work a JMH wall-time iteration counts the time the thread was preempted, CPU time does
 * not, so before/after ratios of the binding layer stay readable there. Prints one line:
 * {@code getpid=.. readBadFd=.. epollWait0=.. writeRead1=..}.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * io.github.ffmreactor.bench.CpuPerCall [rounds=14] [calls=200000]}; the first two rounds are warm-up.
 * Used for native-notes/bench-results.md (typed bindings, issue 13).
 */
public final class CpuPerCall {
    private CpuPerCall() {}

    @SuppressWarnings("UnusedVariable") // a sink: the calls' results are stored so the JIT cannot drop the calls
    private static volatile long sink;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 14;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        String[] names = {"getpid", "readBadFd", "epollWait0", "writeRead1"};
        double[] best = new double[names.length];
        Arrays.fill(best, Double.MAX_VALUE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Native.callState(arena), buf = arena.allocate(64);
            MemorySegment events = arena.allocate(Epoll.EVENT_SIZE * 64), fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int ep = Epoll.create1(cs, Epoll.EPOLL_CLOEXEC);
            if (ep < 0 || Unistd.pipe(cs, fds) < 0) throw new IllegalStateException("epoll_create1 or pipe failed");
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0), w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                if (Unistd.setNonBlockingCloexec(cs, r) < 0) throw new IllegalStateException("fcntl failed");
                for (int round = 0; round < rounds; round++) {
                    for (int k = 0; k < names.length; k++) {
                        long s = 0, t0 = mx.getCurrentThreadCpuTime();
                        for (int i = 0; i < n; i++) {
                            switch (k) {
                                case 0 -> s += Unistd.getpid();
                                case 1 -> s += Unistd.read(cs, -1, buf, 0, 64);
                                case 2 -> s += Epoll.wait(cs, ep, events, 64, 0);
                                default -> s += Unistd.write(cs, w, buf, 0, 1) + Unistd.read(cs, r, buf, 0, 64);
                            }
                        }
                        long t = mx.getCurrentThreadCpuTime() - t0;
                        sink = s;
                        if (round >= 2) best[k] = Math.min(best[k], (double) t / n);
                    }
                }
            } finally {
                Unistd.close(cs, ep);
                Unistd.close(cs, r);
                Unistd.close(cs, w);
            }
        }
        StringBuilder line = new StringBuilder();
        for (int k = 0; k < names.length; k++) line.append(String.format("%s=%.1f ", names[k], best[k]));
        System.out.println(line.toString().trim());
    }
}
