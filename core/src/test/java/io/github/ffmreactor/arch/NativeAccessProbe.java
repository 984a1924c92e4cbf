package io.github.ffmreactor.arch;

import java.lang.reflect.Method;

/**
 * Run in its own JVM as code outside the module (class path, unnamed module) with the core on the
 * module path: tries to get native access through the module. Prints one line per attempt and
 * exits 0 only if every attempt was denied.
 */
public final class NativeAccessProbe {
    private NativeAccessProbe() {}

    public static void main(String[] args) throws Exception {
        Module core = ModuleLayer.boot().findModule("io.github.ffmreactor.core").orElseThrow();
        if (!core.isNamed()) throw new IllegalStateException("core is not a named module here");
        int granted = 0;
        // 1. The handle factory: package-private in a package that is neither exported nor open.
        Class<?> nativeClass = Class.forName("io.github.ffmreactor.sys.Native");
        for (Method m : nativeClass.getDeclaredMethods()) {
            if (!m.getName().startsWith("downcall")) continue;
            try {
                m.setAccessible(true);
                System.out.println("GRANTED " + m);
                granted++;
            } catch (RuntimeException e) {
                System.out.println("DENIED " + m.getName() + ": " + e.getClass().getSimpleName());
            }
        }
        // 2. A public binding in an unexported package: read(2) on any fd, any memory.
        Class<?> unistd = Class.forName("io.github.ffmreactor.sys.Unistd");
        for (Method m : unistd.getMethods()) {
            if (!m.getName().equals("read")) continue;
            try {
                m.invoke(null, null, 0, null, 0L, 0L);
                System.out.println("GRANTED " + m);
                granted++;
            } catch (IllegalAccessException e) {
                System.out.println("DENIED Unistd.read: IllegalAccessException");
            }
        }
        System.out.println(granted == 0 ? "ALL DENIED" : granted + " GRANTED");
        System.exit(granted == 0 ? 0 : 1);
    }
}
