package io.github.ffmreactor.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Main code compiles with {@code -Xlint:all -Werror} and Error Prone, so a {@code @SuppressWarnings}
 * is the one way past a check. Two rules keep that honest: each suppression says why (a
 * {@code //} comment on its line or the line above), and {@code "restricted"} (native access:
 * the Linker, symbol lookup, reinterpret) is suppressed only in {@code sys}, the one layer allowed it.
 */
class SuppressWarningsTest {
    private static final Path ROOT = Path.of("src", "main", "java", "io", "github", "ffmreactor");

    /** The problems in one file's lines: suppressions without a reason, "restricted" outside sys. */
    static List<String> problems(String pkg, List<String> lines) {
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String code = line.strip();
            if (code.startsWith("*") || code.startsWith("//") || !line.contains("@SuppressWarnings(")) continue;
            String above = i > 0 ? lines.get(i - 1).strip() : "";
            if (!line.contains("//") && !above.startsWith("//")) {
                bad.add((i + 1) + ": @SuppressWarnings without a // reason on its line or the line above");
            }
            if (line.contains("\"restricted\"") && !pkg.equals("sys")) {
                bad.add((i + 1) + ": \"restricted\" suppressed outside sys (package " + pkg + ")");
            }
        }
        return bad;
    }

    @Test
    void everySuppressionHasAReasonAndNativeAccessStaysInSys() throws IOException {
        List<String> bad = new ArrayList<>();
        int files = 0, restrictedInSys = 0;
        try (Stream<Path> s = Files.walk(ROOT)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String pkg = ROOT.relativize(p.getParent()).toString().replace('/', '.').replace('\\', '.');
                List<String> lines = Files.readAllLines(p);
                for (String v : problems(pkg, lines)) bad.add(p.getFileName() + ":" + v);
                if (pkg.equals("sys")) {
                    for (String l : lines) if (l.contains("@SuppressWarnings(\"restricted\")")) restrictedInSys++;
                }
                files++;
            }
        }
        assertTrue(files > 40, "found the sources (" + files + ")");
        assertTrue(restrictedInSys > 0, "sys suppresses \"restricted\" where it links or reinterprets");
        assertEquals(List.of(), bad);
    }

    @Test
    void theRulesCatchWhatTheyShould() {
        assertEquals(List.of(), problems("sys", List.of("    @SuppressWarnings(\"restricted\") // why")));
        assertEquals(List.of(), problems("loop", List.of("    // why", "    @SuppressWarnings(\"EnumOrdinal\")")));
        assertEquals(1, problems("loop", List.of("    @SuppressWarnings(\"restricted\") // why")).size());
        assertEquals(1, problems("sys", List.of("", "    @SuppressWarnings(\"unchecked\")")).size());
        assertEquals(List.of(), problems("sys", List.of(" * {@code @SuppressWarnings(\"restricted\")} in a comment")));
    }
}
