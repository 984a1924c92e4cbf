package io.github.ffmreactor.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The module exports the loop API and nothing that reaches native code: no sys, poll, net or cli;
 * no public member of an exported type that takes or returns a method handle, a linker, a symbol
 * lookup, or a type the module does not export.
 */
@Timeout(60)
class PublicSurfaceTest {
    private static final Path CLASSES = Path.of("target", "classes");
    private static final Set<String> API = Set.of("io.github.ffmreactor", "io.github.ffmreactor.loop");

    private static ModuleDescriptor descriptor() {
        return ModuleFinder.of(CLASSES).find("io.github.ffmreactor.core").orElseThrow().descriptor();
    }

    @Test
    void onlyTheApiPackagesAreExportedAndNoneIsOpen() {
        ModuleDescriptor d = descriptor();
        Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(API, exported);
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        assertTrue(d.opens().isEmpty(), "no package is open to reflection: " + d.opens());
        assertTrue(!d.isOpen());
    }

    @Test
    void noExportedMemberHandsOutNativeAccessOrAnInternalType() throws Exception {
        List<String> bad = new ArrayList<>();
        Set<String> internal = new TreeSet<>(descriptor().packages());
        internal.removeAll(API);
        int types = 0;
        for (String pkg : API) {
            Path dir = CLASSES.resolve(pkg.replace('.', '/'));
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String f = p.getFileName().toString();
                    if (!f.endsWith(".class") || f.equals("module-info.class")) continue;
                    Class<?> c = Class.forName(pkg + "." + f.substring(0, f.length() - 6), false, getClass().getClassLoader());
                    if (!isVisible(c)) continue;
                    types++;
                    for (Method m : c.getDeclaredMethods()) {
                        if (!visible(m.getModifiers())) continue;
                        check(bad, internal, m.toString(), m.getGenericReturnType());
                        for (Type t : m.getGenericParameterTypes()) check(bad, internal, m.toString(), t);
                    }
                    for (Constructor<?> k : c.getDeclaredConstructors()) {
                        if (!visible(k.getModifiers())) continue;
                        for (Type t : k.getGenericParameterTypes()) check(bad, internal, k.toString(), t);
                    }
                    for (Field fl : c.getDeclaredFields()) {
                        if (visible(fl.getModifiers())) check(bad, internal, fl.toString(), fl.getGenericType());
                    }
                }
            }
        }
        assertTrue(types >= 10, "found the API types (" + types + ")");
        assertEquals(List.of(), bad);
    }

    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!visible(k.getModifiers())) return false;
        }
        return !c.isAnonymousClass() && !c.isSynthetic();
    }

    private static boolean visible(int mod) {
        return Modifier.isPublic(mod) || Modifier.isProtected(mod);
    }

    private static void check(List<String> bad, Set<String> internal, String member, Type t) {
        String name = t.getTypeName();
        for (String forbidden : List.of("java.lang.invoke.MethodHandle", "java.lang.foreign.Linker",
                "java.lang.foreign.SymbolLookup", "java.lang.foreign.FunctionDescriptor")) {
            if (name.contains(forbidden)) bad.add(member + " uses " + forbidden);
        }
        for (String pkg : internal) {
            if (name.matches(".*\\b" + java.util.regex.Pattern.quote(pkg) + "\\.[A-Z].*")) bad.add(member + " uses internal " + pkg);
        }
    }

    /** Code outside the module, with the core on the module path, is denied every native handle. */
    @Test
    void codeOutsideTheModuleGetsNoNativeHandle() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=io.github.ffmreactor.core",
                "--module-path", CLASSES.toAbsolutePath().toString(), "--add-modules", "io.github.ffmreactor.core",
                "-cp", Path.of("target", "test-classes").toAbsolutePath().toString(),
                NativeAccessProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("DENIED downcall"), out);
        assertTrue(out.contains("DENIED Unistd.read"), out);
        assertTrue(out.contains("ALL DENIED"), out);
    }
}
