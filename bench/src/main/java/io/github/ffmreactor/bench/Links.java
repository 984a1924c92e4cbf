package io.github.ffmreactor.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/** Downcall handles the benchmarks link for themselves: the core library hands out none. */
final class Links {
    private Links() {}

    @SuppressWarnings("restricted") // the bench runs with --enable-native-access (pom, manifest, scripts)
    static MethodHandle link(String name, FunctionDescriptor fd, Linker.Option... options) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("native symbol not found: " + name)), fd, options);
    }
}
