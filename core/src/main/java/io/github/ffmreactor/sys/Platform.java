package io.github.ffmreactor.sys;

import java.util.Locale;

/** The operating system and CPU this JVM runs on, as the native layer needs to know them. */
public enum Platform {
    LINUX, MACOS, FREEBSD, WINDOWS, OTHER;

    /** The running OS. */
    public static final Platform CURRENT = detect(System.getProperty("os.name", ""));

    /** The running CPU architecture, normalised: {@code x86_64}, {@code aarch64}, or as reported. */
    public static final String ARCH = normaliseArch(System.getProperty("os.arch", ""));

    static Platform detect(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) return LINUX;
        if (os.startsWith("mac") || os.startsWith("darwin")) return MACOS;
        if (os.startsWith("freebsd")) return FREEBSD;
        if (os.startsWith("windows")) return WINDOWS;
        return OTHER;
    }

    static String normaliseArch(String arch) {
        return switch (arch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
    }

    public boolean isBsdFamily() {
        return this == MACOS || this == FREEBSD;
    }
}
