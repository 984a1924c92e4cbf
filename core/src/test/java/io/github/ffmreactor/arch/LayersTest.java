package io.github.ffmreactor.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import io.github.ffmreactor.NativeException;

/**
 * Data flows down the layers: {@code sys} (bindings) ← {@code poll}, {@code net} ← {@code loop}
 * ← the apps ({@code kv}, the RESP server, and {@code cli}, which starts it), with the root package (Trigger, NativeException) below them all. A reference from
 * a main source file to a higher layer, by import or by a fully qualified name, fails here.
 */
class LayersTest {
    private static final String BASE = "io.github.ffmreactor";
    private static final Map<String, Integer> LAYER = Map.of(
            "", 0, "sys", 1, "poll", 2, "net", 2, "loop", 3, "kv", 4, "cli", 4);
    private static final Pattern REF = Pattern.compile("\\bio\\.github\\.ffmreactor(?:\\.(\\w+))?\\.[A-Z]");

    static int layerOf(String subpackage) {
        Integer l = LAYER.get(subpackage);
        if (l == null) throw new AssertionError("package " + BASE + "." + subpackage + " has no layer: add it to LayersTest");
        return l;
    }

    /** The violations in one file's text: references to packages above {@code ownPackage}. */
    static List<String> upwardReferences(String ownPackage, String text) {
        List<String> bad = new ArrayList<>();
        int own = layerOf(ownPackage);
        Matcher m = REF.matcher(text);
        while (m.find()) {
            String target = m.group(1) == null ? "" : m.group(1);
            if (!target.equals(ownPackage) && layerOf(target) > own) bad.add(ownPackage + " -> " + target);
        }
        return bad;
    }

    @Test
    void noMainSourceReferencesAHigherLayer() throws IOException {
        Path root = Path.of("src", "main", "java", "io", "github", "ffmreactor");
        List<String> bad = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                Path rel = root.relativize(p.getParent());
                String pkg = rel.toString().replace('/', '.').replace('\\', '.');
                for (String v : upwardReferences(pkg, Files.readString(p))) bad.add(p.getFileName() + ": " + v);
                files++;
            }
        }
        assertTrue(files > 40, "found the sources (" + files + ")");
        assertEquals(List.of(), bad);
    }

    /** Packages that choose by type, never by testing the OS: the platform lives in sys and net. */
    private static final List<String> PLATFORM_FREE = List.of("loop", "poll", "kv", "cli");
    private static final Pattern PLATFORM_TEST = Pattern.compile("\\bWINDOWS\\b|\\bPlatform\\s*\\.\\s*CURRENT\\b");

    /** The platform tests in one file's code (comments stripped): each as the text that matched. */
    static List<String> platformTests(String text) {
        List<String> found = new ArrayList<>();
        Matcher m = PLATFORM_TEST.matcher(text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " "));
        while (m.find()) found.add(m.group());
        return found;
    }

    @Test
    void loopPollAndTheAppsNeverTestThePlatform() throws IOException {
        Path root = Path.of("src", "main", "java", "io", "github", "ffmreactor");
        List<String> bad = new ArrayList<>();
        int files = 0;
        for (String pkg : PLATFORM_FREE) {
            try (Stream<Path> s = Files.list(root.resolve(pkg))) {
                for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                    for (String t : platformTests(Files.readString(p))) bad.add(pkg + "/" + p.getFileName() + ": " + t);
                    files++;
                }
            }
        }
        assertTrue(files > 30, "found the sources (" + files + ")");
        assertEquals(List.of(), bad, "choose by a type or a name from sys/net instead");
    }

    @Test
    void thePlatformCheckSeesEachForm() {
        assertEquals(List.of("WINDOWS"), platformTests("x = SocketIo.WINDOWS ? \"recv\" : \"read\";"));
        assertEquals(List.of("Platform.CURRENT"), platformTests("if (Platform.CURRENT == Platform.LINUX) go();"));
        assertEquals(List.of("Platform.CURRENT"), platformTests("b = io.github.ffmreactor.sys.Platform.CURRENT;"));
        assertEquals(List.of(), platformTests("/** On Windows, WINDOWS... */ // Platform.CURRENT\nx = Platform.ARCH;"));
    }

    /** The check itself catches both forms of reference. */
    @Test
    void theCheckSeesImportsAndQualifiedNames() {
        assertEquals(List.of("sys -> loop"), upwardReferences("sys", "import io.github.ffmreactor.loop.EventLoop;"));
        assertEquals(List.of("poll -> cli"), upwardReferences("poll", "x = io.github.ffmreactor.cli.Main.run(a);"));
        assertEquals(List.of(), upwardReferences("loop", "import io.github.ffmreactor.sys.Errno; import io.github.ffmreactor.Trigger;"));
        assertEquals(List.of(" -> sys"), upwardReferences("", "import io.github.ffmreactor.sys.Errno;"));
    }
}
