package io.github.ffmreactor.cli;

import java.io.Serial;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --name value} options, checked against the names a command takes. Public (in a package
 * the module does not export) for one reason: the bench's subcommands parse theirs with
 * {@link #options}, so both command lines read and refuse options alike.
 */
public final class Args {
    /** A command line that does not parse; the message says what to change. */
    public static final class BadArgs extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        BadArgs(String m) { super(m); }
    }

    private final Map<String, String> values;

    private Args(Map<String, String> values) {
        this.values = values;
    }

    static Args parse(String[] args, Set<String> allowed) throws BadArgs {
        return new Args(options(args, 0, allowed, null));
    }

    /**
     * The {@code --name value} and {@code --name=value} options of {@code args[from..]}, each name
     * one of {@code allowed}. Other arguments go to {@code positional}, or are refused when it is null.
     */
    public static Map<String, String> options(String[] args, int from, Set<String> allowed, List<String> positional)
            throws BadArgs {
        Map<String, String> m = new HashMap<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                if (positional == null) throw new BadArgs("unexpected argument '" + a + "'");
                positional.add(a);
                continue;
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) throw new BadArgs("--" + name + " needs a value");
                value = args[++i];
            }
            if (!allowed.contains(name)) {
                // Sorted: the same message on every run (a Set.of iterates in a random order).
                throw new BadArgs("unknown option --" + name + " (takes: --" + String.join(", --", new TreeSet<>(allowed)) + ")");
            }
            m.put(name, value);
        }
        return m;
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    int intValue(String name, int dflt, int min, int max) throws BadArgs {
        String v = values.get(name);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) throw new BadArgs("--" + name + " must be in " + min + ".." + max + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new BadArgs("--" + name + " must be a number, got '" + v + "'");
        }
    }

    /**
     * A size in bytes: a number, optionally with a suffix K, M, G (or KiB, MiB, GiB: the same,
     * powers of 1024), e.g. {@code 4MiB} or {@code 262144}.
     */
    int sizeValue(String name, int dflt, int min, int max) throws BadArgs {
        String v = values.get(name);
        if (v == null) return dflt;
        String t = v.trim();
        String upper = t.toUpperCase(Locale.ROOT);
        long unit = 1;
        for (String[] u : new String[][] {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"},
                {"K", "1024"}, {"M", "1048576"}, {"G", "1073741824"}}) {
            if (upper.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            long n = Math.multiplyExact(Long.parseLong(t), unit);
            if (n < min || n > max) throw new BadArgs("--" + name + " must be in " + min + ".." + max + " bytes, got " + v);
            return (int) n;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BadArgs("--" + name + " must be a size (262144, 256K, 4MiB...), got '" + v + "'");
        }
    }

    String oneOf(String name, String dflt, String... choices) throws BadArgs {
        String v = values.getOrDefault(name, dflt);
        for (String c : choices) if (c.equals(v)) return v;
        throw new BadArgs("--" + name + " must be one of " + String.join("|", choices) + ", got '" + v + "'");
    }
}
