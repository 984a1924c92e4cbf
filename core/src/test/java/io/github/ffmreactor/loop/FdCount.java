package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;

/** Open fds of this process (Linux /proc/self/fd), to check a test leaves none behind. */
public final class FdCount {
    private FdCount() {}

    public static boolean supported() {
        return new File("/proc/self/fd").isDirectory();
    }

    public static int now() {
        String[] s = new File("/proc/self/fd").list();
        return s == null ? -1 : s.length;
    }

    /** Waits (up to 5 s) for the count to come back to {@code before} or below, else fails. */
    public static void assertBackTo(int before) throws InterruptedException {
        if (before < 0) return;
        long end = System.nanoTime() + 5_000_000_000L;
        int n;
        while ((n = now()) > before && System.nanoTime() < end) Thread.sleep(10);
        int last = n;
        assertTrue(last <= before, () -> "fds leaked: " + before + " before, " + last + " after");
    }
}
