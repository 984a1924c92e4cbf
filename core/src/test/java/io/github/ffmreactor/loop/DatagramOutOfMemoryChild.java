package io.github.ffmreactor.loop;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Run by {@link DatagramBurstTest} in a JVM of its own, which caps its address space (setrlimit
 * RLIMIT_AS) at what it uses plus 24 MiB: opening a datagram socket whose batches need 64 MiB
 * must then fail with OutOfMemoryError, leave no fd and no native memory behind, and the loop
 * must go on. Prints {@code ok <what>} or {@code fail <what>}.
 */
public final class DatagramOutOfMemoryChild {
    private DatagramOutOfMemoryChild() {}

    public static void main(String[] args) throws Throwable {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (EventLoop loop = EventLoop.open()) {
            loop.start("oom");
            // Warm up what the first open allocates once (classes, the errno segment), then count.
            java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
            loop.openDatagram(any, DatagramOptions.defaults().withMaxDatagram(64), new DatagramHandler() {
                @Override
                public void onDatagram(Datagram c, java.lang.foreign.MemorySegment b, int l, Endpoint f) {}

                @Override
                public void onClose(Datagram c, Throwable cause) {
                    closed.countDown();
                }
            }).close(); // closed on the loop: wait for it before counting fds
            if (!closed.await(10, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("not closed");
            capAddressSpace(24 << 20);
            int before = fds();
            String what;
            try {
                loop.openDatagram(any, DatagramOptions.defaults().withBatch(1024), (c, b, l, f) -> {});
                what = "fail opened";
            } catch (OutOfMemoryError e) {
                what = "caught";
            } catch (IllegalStateException e) {
                // From the loop thread, an Error arrives wrapped (PendingCall).
                what = e.getCause() instanceof OutOfMemoryError ? "caught" : "fail " + e;
            }
            int after = fds();
            // The memory of the failed batches was freed: a smaller socket still fits under the cap.
            Datagram d = loop.openDatagram(any, DatagramOptions.defaults().withMaxDatagram(2048), (c, b, l, f) -> {});
            d.close();
            System.out.println((what.equals("caught") && before == after ? "ok " : "fail ") + what + " fds " + before + "->" + after);
        }
    }

    /** setrlimit(RLIMIT_AS) to the current VmSize plus {@code headroom} bytes (test code: its own binding). */
    private static void capAddressSpace(long headroom) throws Throwable {
        long vm = 0;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) vm = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        var setrlimit = linker.downcallHandle(linker.defaultLookup().find("setrlimit").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS));
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            var lim = a.allocate(16, 8);
            lim.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, vm + headroom);
            lim.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, vm + headroom);
            int r = (int) setrlimit.invokeExact(9 /* RLIMIT_AS on Linux */, lim);
            if (r != 0) throw new IllegalStateException("setrlimit failed");
        }
    }

    private static int fds() {
        String[] l = new java.io.File("/proc/self/fd").list();
        return l == null ? -1 : l.length;
    }
}
