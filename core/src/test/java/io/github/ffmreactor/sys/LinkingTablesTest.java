package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The "how it is linked" tables of native-notes (errno capture or not, critical or not, per call)
 * against what the bindings declare to {@link Bind}: a call linked differently from what its note
 * says, a binding with no row, or a row for a binding that is gone, fails here.
 *
 * <p>Per C function the comparison is between sets: the link variants the rows name (a function may
 * have several handles, e.g. {@code epoll_wait} blocking, at once, and after a failure) and those the
 * note's classes declare. Another OS's bindings are declared too (not linked), so every table is
 * checked on every OS. io_uring's calls go through {@code syscall(2)}: their rows are compared with
 * the {@code syscall} handles of {@link IoUring} as one set.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LinkingTablesTest {
    /** How a row says a call is linked. */
    record Variant(boolean errno, boolean critical) {
        @Override public String toString() {
            return (errno ? "errno capture" : "no capture") + (critical ? " + critical" : ", not critical");
        }
    }

    /**
     * One note: its table, the classes whose every binding must have a row, and classes whose
     * bindings are only compared where a row names them (Unistd's pipe and fcntl in the pollers' notes).
     */
    record Note(String file, String heading, int linkColumn, List<String> owners, List<String> helpers) {}

    private static final List<Note> NOTES = List.of(
            new Note("epoll.md", "## Calls", 1, List.of("Epoll", "EventFd"), List.of()),
            new Note("poll.md", "## Calls", 1, List.of("Poll"), List.of("Unistd")),
            new Note("select.md", "## Calls", 1, List.of("Select"), List.of("Unistd")),
            new Note("kqueue.md", "## Calls", 1, List.of("Kqueue"), List.of()),
            new Note("io_uring.md", "## Calls", 2, List.of("IoUring"), List.of()),
            new Note("windows-select.md", "## Calls", 1, List.of("Winsock"), List.of()));

    private static final Pattern CODE = Pattern.compile("`([^`]*)`");
    private static final Pattern CALL = Pattern.compile("^([A-Za-z_]\\w*)(?:\\(|$)");

    /** The C functions a call cell names: {@code `pipe(fds)` + `fcntl(...)`}, {@code `bind`, `connect`}. */
    static List<String> functions(String cell) {
        List<String> names = new ArrayList<>();
        Matcher m = CODE.matcher(cell);
        while (m.find()) {
            Matcher c = CALL.matcher(m.group(1).trim());
            // An all-caps word is a type or a macro (`SOCKET`), not a call.
            if (c.find() && !c.group(1).equals(c.group(1).toUpperCase(java.util.Locale.ROOT))) names.add(c.group(1));
        }
        return names;
    }

    /** The variants a link cell states; empty for "—" (not linked). */
    static Set<Variant> variants(String cell) {
        if (cell.equals("—")) return Set.of();
        boolean errno = cell.contains("capture") && !cell.contains("**no** errno capture");
        if (cell.contains("critical") && cell.contains("only when")) {
            return Set.of(new Variant(errno, false), new Variant(errno, true));
        }
        boolean critical = cell.contains("critical") && !cell.contains("**not** critical");
        return Set.of(new Variant(errno, critical));
    }

    /** io_uring's rows name the syscall; the binding is syscall(2). */
    private static String symbol(String function) {
        return function.startsWith("io_uring_") ? "syscall" : function;
    }

    @Test
    void everyLinkingTableMatchesTheBindings() throws Exception {
        for (String c : List.of("Epoll", "EventFd", "Poll", "Select", "Kqueue", "IoUring", "Winsock", "Unistd")) {
            Class.forName("io.github.ffmreactor.sys." + c, true, LinkingTablesTest.class.getClassLoader());
        }
        Set<Bind.Declared> declared = Bind.declared();
        List<String> bad = new ArrayList<>();
        int rows = 0;
        for (Note note : NOTES) {
            Map<String, Set<Variant>> stated = new TreeMap<>();
            for (String[] row : NativeNotesTablesTest.table(note.file(), note.heading())) {
                List<String> fns = functions(row[0]);
                if (fns.isEmpty()) bad.add(note.file() + ": no call named in row '" + row[0] + "'");
                for (String f : fns) stated.computeIfAbsent(symbol(f), k -> new TreeSet<>(java.util.Comparator.comparing(Variant::toString)))
                        .addAll(variants(row[note.linkColumn()]));
                rows++;
            }
            Map<String, Set<Variant>> linked = new TreeMap<>();
            for (Bind.Declared d : declared) {
                boolean owner = note.owners().contains(d.owner());
                boolean helper = note.helpers().contains(d.owner()) && stated.containsKey(d.symbol());
                if (owner || helper) {
                    linked.computeIfAbsent(d.symbol(), k -> new TreeSet<>(java.util.Comparator.comparing(Variant::toString)))
                            .add(new Variant(d.errno(), d.critical()));
                }
            }
            for (String s : stated.keySet()) linked.putIfAbsent(s, Set.of());
            for (var e : linked.entrySet()) {
                Set<Variant> says = stated.get(e.getKey());
                if (says == null) {
                    bad.add(note.file() + ": " + e.getKey() + " is linked as " + e.getValue() + " but has no row");
                } else if (!says.equals(e.getValue())) {
                    bad.add(note.file() + ": " + e.getKey() + " says " + says + ", the code links " + e.getValue());
                }
            }
        }
        assertTrue(rows > 20, "read the tables (" + rows + " rows)");
        assertEquals(List.of(), bad);
    }

    @Test
    void cellsReadAsTheNotesMeanThem() {
        assertEquals(List.of("pipe", "fcntl", "fcntl"), functions("`pipe(fds)` + `fcntl(O_NONBLOCK)`, `fcntl(FD_CLOEXEC)` on both ends"));
        assertEquals(List.of("socket"), functions("`socket(af, type, proto)` → `SOCKET`"));
        assertEquals(List.of("bind", "connect"), functions("`bind`, `connect`"));
        assertEquals(Set.of(new Variant(false, false)), variants("**no** errno capture, **not** critical"));
        assertEquals(Set.of(new Variant(false, true)), variants("**no** errno capture, `critical`"));
        assertEquals(Set.of(new Variant(true, true)), variants("errno capture + `critical`"));
        assertEquals(Set.of(new Variant(true, false)), variants("capture, **not** critical"));
        assertEquals(Set.of(new Variant(false, false)), variants("plain"));
        assertEquals(Set.of(), variants("—"));
        assertEquals(Set.of(new Variant(false, false), new Variant(false, true)),
                variants("**no** errno capture; `critical` only when `flags == 0` (pure submit)"));
    }
}
