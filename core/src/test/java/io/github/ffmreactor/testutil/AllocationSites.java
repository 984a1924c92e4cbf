package io.github.ffmreactor.testutil;

import io.github.ffmreactor.loop.EventLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Where a loop thread allocates: JFR's allocation samples while some work runs, the top sites. */
public final class AllocationSites {
    private AllocationSites() {}

    /** Work that drives the loop (from the test's thread). */
    public interface Work {
        void run() throws Exception;
    }

    /** The five most frequent allocation sites (class and top frames) on {@code loop}'s thread while {@code work} runs. */
    public static String on(EventLoop loop, Work work) throws Exception {
        CompletableFuture<String> name = new CompletableFuture<>();
        loop.execute(() -> name.complete(Thread.currentThread().getName()));
        String thread = name.get(10, TimeUnit.SECONDS);
        Path file = Files.createTempFile("alloc", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
            rec.start();
            work.run();
            rec.stop();
            rec.dump(file);
            Map<String, Integer> sites = new HashMap<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getThread("eventThread") == null || !thread.equals(e.getThread("eventThread").getJavaName())) continue;
                StringBuilder site = new StringBuilder(e.getClass("objectClass").getName());
                if (e.getStackTrace() != null) {
                    e.getStackTrace().getFrames().stream().limit(14).forEach(f -> site.append(" <- ")
                            .append(f.getMethod().getType().getName()).append('.').append(f.getMethod().getName())
                            .append(':').append(f.getLineNumber()));
                }
                sites.merge(site.toString(), 1, Integer::sum);
            }
            StringBuilder out = new StringBuilder("allocation sites on " + thread + ":\n");
            sites.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(5)
                    .forEach(en -> out.append("  ").append(en.getValue()).append("x ").append(en.getKey()).append('\n'));
            return out.toString();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
