package io.github.ffmreactor.bench;

import io.github.ffmreactor.cli.Args;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options for the bench's subcommands, checked against the names each takes. */
final class Opts {
    static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad(String m) {
            super(m);
        }
    }

    private final Map<String, String> values;
    final List<String> positional;

    private Opts(Map<String, String> values, List<String> positional) {
        this.values = values;
        this.positional = positional;
    }

    static Opts parse(String[] args, int from, Set<String> allowed) throws Bad {
        List<String> pos = new ArrayList<>();
        try {
            return new Opts(Args.options(args, from, allowed, pos), pos);
        } catch (Args.BadArgs e) {
            throw new Bad(e.getMessage());
        }
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    int intValue(String name, int dflt, int min, int max) throws Bad {
        String v = values.get(name);
        if (v == null) return dflt;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new Bad("--" + name + " must be a number, got '" + v + "'");
        }
        if (n < min || n > max) throw new Bad("--" + name + " must be in " + min + ".." + max + ", got " + n);
        return n;
    }

    /** A size: 64, 16k, 16KiB, 1m. */
    int size(String name, int dflt, int min, int max) throws Bad {
        String v = values.get(name);
        if (v == null) return dflt;
        String s = v.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        int mul = 1;
        if (s.endsWith("k")) { mul = 1024; s = s.substring(0, s.length() - 1); }
        else if (s.endsWith("m")) { mul = 1024 * 1024; s = s.substring(0, s.length() - 1); }
        long n;
        try {
            n = Long.parseLong(s) * mul;
        } catch (NumberFormatException e) {
            throw new Bad("--" + name + " must be a size like 64, 16k, 1m; got '" + v + "'");
        }
        if (n < min || n > max) throw new Bad("--" + name + " must be in " + min + ".." + max + " bytes, got " + n);
        return (int) n;
    }

    /** A duration: 500ms, 2s, 1m, or plain seconds. */
    Duration duration(String name, Duration dflt) throws Bad {
        String v = values.get(name);
        if (v == null) return dflt;
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            if (s.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            if (s.endsWith("m")) return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
            return Duration.ofMillis((long) (Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new Bad("--" + name + " must be a duration like 500ms, 2s, 1m; got '" + v + "'");
        }
    }
}
