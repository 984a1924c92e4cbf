package io.github.ffmreactor.testutil;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** One blocking socket exchange between two virtual threads, so the JDK opens its I/O pollers. */
final class JdkPollersWarmUp {
    private JdkPollersWarmUp() {}

    static void run() {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 1, lo);
             var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            var accepted = ex.submit(() -> {
                try (Socket a = ss.accept()) {
                    a.getOutputStream().write(1);
                    return a.getInputStream().read();
                }
            });
            ex.submit(() -> {
                try (Socket c = new Socket(lo, ss.getLocalPort())) {
                    c.getOutputStream().write(c.getInputStream().read());
                }
                return null;
            }).get(10, TimeUnit.SECONDS);
            accepted.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
