package io.github.ffmreactor.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A native binding is declared once, as a {@code static final} {@code Fn} shape built by
 * {@code sys/Bind}, and called through it: no source file calls {@code invokeExact} (or
 * {@code invoke}) on a method handle, and no binding file catches {@code Throwable} to rethrow
 * it. The one {@code try} around each native call is the one {@code MethodHandleProxies}
 * generates per shape. Comments are not code: the Javadoc that explains this may name it.
 */
class BindingsDeclaredOnceTest {
    private static final Path ROOT = Path.of("src", "main", "java", "io", "github", "ffmreactor");
    private static final Pattern INVOKE = Pattern.compile("\\.invoke(?:Exact|WithArguments)?\\s*\\(");
    private static final Pattern CATCH_THROWABLE = Pattern.compile("catch\\s*\\(\\s*Throwable\\b");
    /** A field of an Fn shape, with its modifiers: group 1 the modifiers, group 2 the shape. */
    private static final Pattern FN_FIELD = Pattern.compile("((?:\\w+\\s+)*)Fn\\.(\\w+)\\s+\\w+\\s*=");
    private static final Pattern FN_SHAPE = Pattern.compile("public interface (\\w+)\\s*\\{");

    /** {@code text} without its comments (string literals are left alone: none holds a comment marker here). */
    static String code(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }

    /** The problems of one main source file: {@code name} is its path under the root, e.g. {@code sys/Unistd.java}. */
    static List<String> problems(String name, String text) {
        List<String> bad = new ArrayList<>();
        String c = code(text);
        if (INVOKE.matcher(c).find()) bad.add(name + ": calls a method handle (declare it with Bind and call its Fn shape)");
        if (name.startsWith("sys/") && CATCH_THROWABLE.matcher(c).find()) {
            bad.add(name + ": catches Throwable (a binding needs no try: call its Fn shape)");
        }
        Matcher m = FN_FIELD.matcher(c);
        while (m.find()) {
            String mods = m.group(1);
            if (!(mods.contains("static") && mods.contains("final"))) {
                bad.add(name + ": Fn." + m.group(2) + " held in a field that is not static final (C2 inlines only a constant)");
            }
        }
        return bad;
    }

    @Test
    void everyNativeCallGoesThroughAStaticFinalShape() throws IOException {
        List<String> bad = new ArrayList<>();
        int files = 0, fields = 0;
        try (Stream<Path> s = Files.walk(ROOT)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String name = ROOT.relativize(p).toString().replace('\\', '/');
                String text = Files.readString(p);
                bad.addAll(problems(name, text));
                Matcher m = FN_FIELD.matcher(code(text));
                while (m.find()) fields++;
                files++;
            }
        }
        assertTrue(files > 40, "found the sources (" + files + ")");
        assertTrue(fields > 50, "found the bindings (" + fields + ")");
        assertEquals(List.of(), bad);
    }

    /** Every shape in Fn is used by some binding: the vocabulary holds no dead entries. */
    @Test
    void everyShapeIsUsed() throws IOException {
        Set<String> declared = new TreeSet<>();
        Matcher d = FN_SHAPE.matcher(Files.readString(ROOT.resolve("sys").resolve("Fn.java")));
        while (d.find()) declared.add(d.group(1));
        Set<String> used = new TreeSet<>();
        try (Stream<Path> s = Files.list(ROOT.resolve("sys"))) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                Matcher m = FN_FIELD.matcher(code(Files.readString(p)));
                while (m.find()) used.add(m.group(2));
            }
        }
        assertTrue(declared.size() > 20, "found the shapes (" + declared + ")");
        declared.removeAll(used);
        assertEquals(Set.of(), declared, "shapes no binding uses");
    }

    /** The check itself: each form it forbids is seen, and comments are not. */
    @Test
    void theCheckSeesEachForm() {
        assertEquals(1, problems("sys/X.java", "int r = (int) H.invokeExact(cs, fd);").size());
        assertEquals(1, problems("loop/X.java", "Object o = h.invoke(a);").size());
        assertEquals(1, problems("sys/X.java", "try { f(); } catch (Throwable t) { throw wrap(t); }").size());
        assertEquals(List.of(), problems("loop/X.java", "try { f(); } catch (Throwable t) { report(t); }"));
        assertEquals(1, problems("sys/X.java", "private static Fn.IntCI CLOSE = Bind.fn(\"close\");").size());
        assertEquals(List.of(), problems("sys/X.java", "private static final Fn.IntCI CLOSE = Bind.fn(\"close\");"));
        assertEquals(List.of(), problems("sys/X.java", "/** {@code H.invokeExact(..)} */ // catch (Throwable t)\nint x;"));
    }
}
