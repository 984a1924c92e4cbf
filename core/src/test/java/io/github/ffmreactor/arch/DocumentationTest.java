package io.github.ffmreactor.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation's shape: the README stays a landing page, the guide under {@code docs/} and
 * the notes under {@code native-notes/} are indexed, every relative link (and its {@code #anchor})
 * leads somewhere, and every package says what it is for in a {@code package-info.java}.
 */
class DocumentationTest {
    private static final Path ROOT = Path.of("..");
    /** Guide pages other branches add; a link to one is allowed before it lands. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");

    private static List<Path> markdown() throws IOException {
        List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("CONTRIBUTING.md")));
        for (String dir : List.of("docs", "native-notes")) {
            try (Stream<Path> s = Files.list(ROOT.resolve(dir))) {
                s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    /** GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
    static String anchor(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    @Test
    void anchorsAreGithubs() {
        assertEquals("kv-a-resp-server-for-redis-cli-and-redis-benchmark",
                anchor("`kv`: a RESP server for redis-cli and redis-benchmark"));
        assertEquals("back-pressure-limits-and-failures", anchor("Back-pressure, limits and failures"));
    }

    @Test
    void theReadmeIsALandingPage() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        assertTrue(lines.size() <= 250, "README.md has " + lines.size() + " lines: move detail into docs/");
        String readme = String.join("\n", lines);
        for (String must : List.of("./mvnw -B verify", "exec:exec@run", "## Platforms", "docs/README.md")) {
            assertTrue(readme.contains(must), "README.md lost " + must);
        }
    }

    @Test
    void theExamplesAreShownAsTheBuildRunsThem() throws IOException {
        Path examples = Path.of("src/test/java/io/github/ffmreactor/examples");
        for (String[] shown : List.of(new String[] {"EchoExample.java", "README.md"},
                new String[] {"KeyValueExample.java", "docs/embedding.md"})) {
            String src = Files.readString(examples.resolve(shown[0]));
            assertTrue(Files.readString(ROOT.resolve(shown[1])).contains("```java\n" + src + "```\n"),
                    shown[1] + " must show " + shown[0] + " exactly, in a ```java block");
        }
    }

    @Test
    void everyRelativeLinkLeadsSomewhere() throws IOException {
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path md : markdown()) {
            Matcher m = LINK.matcher(Files.readString(md));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("[a-z]+:.*")) continue; // https:, mailto:
                links++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path to = file.isEmpty() ? md : md.getParent().resolve(file).normalize();
                String rel = ROOT.toAbsolutePath().normalize().relativize(to.toAbsolutePath().normalize()).toString();
                if (!Files.exists(to)) {
                    broken.add(md.getFileName() + " -> " + target);
                    continue;
                }
                if (hash >= 0 && !anchors(to).contains(target.substring(hash + 1))) {
                    broken.add(md.getFileName() + " -> " + target + " (no such heading)");
                }
            }
        }
        assertTrue(links > 40, "found the links (" + links + ")");
        assertEquals(List.of(), broken);
    }

    private static Set<String> anchors(Path md) throws IOException {
        Set<String> out = new java.util.HashSet<>();
        Matcher m = HEADING.matcher(Files.readString(md));
        while (m.find()) out.add(anchor(m.group(1)));
        return out;
    }

    @Test
    void theIndexesListEveryPage() throws IOException {
        for (String dir : List.of("docs", "native-notes")) {
            String index = Files.readString(ROOT.resolve(dir).resolve("README.md"));
            try (Stream<Path> s = Files.list(ROOT.resolve(dir))) {
                List<String> missing = s.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".md") && !n.equals("README.md"))
                        .filter(n -> !index.contains("(" + n + ")")).sorted().toList();
                assertEquals(List.of(), missing, dir + "/README.md must link every page in " + dir + "/");
            }
        }
    }

    @Test
    void everyPackageSaysWhatItIsFor() throws IOException {
        List<String> missing = new ArrayList<>();
        int packages = 0;
        for (String module : List.of("src/main/java", "../bench/src/main/java")) {
            try (Stream<Path> s = Files.walk(Path.of(module))) {
                for (Path dir : (Iterable<Path>) s.filter(Files::isDirectory)::iterator) {
                    boolean hasClasses;
                    try (Stream<Path> f = Files.list(dir)) {
                        hasClasses = f.anyMatch(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java"));
                    }
                    if (!hasClasses) continue;
                    packages++;
                    if (!Files.exists(dir.resolve("package-info.java"))) missing.add(dir.toString());
                }
            }
        }
        assertTrue(packages >= 7, "found the packages (" + packages + ")");
        assertEquals(List.of(), missing, "a package without a package-info.java");
    }
}
