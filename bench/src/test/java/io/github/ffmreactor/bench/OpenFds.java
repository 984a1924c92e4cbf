package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * This process's open fd count, where the OS lists them in {@code /proc/self/fd} (Linux). A
 * capability, not an OS name: tests compare counts only where {@link #countable()} says so.
 */
final class OpenFds {
    private OpenFds() {}

    private static final Path DIR = Path.of("/proc/self/fd");

    static boolean countable() {
        return Files.isDirectory(DIR);
    }

    /** The count; only where {@link #countable()}. */
    static long count() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.count();
        }
    }
}
