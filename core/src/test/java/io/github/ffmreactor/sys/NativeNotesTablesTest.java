package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tables in native-notes/ that a reader relies on, read as data and compared with the code:
 * a number changed on one side only fails here. Each test names the note and the section it reads.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NativeNotesTablesTest {
    private static final Path NOTES = locateNotes();

    private static Path locateNotes() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("native-notes"))) return p.resolve("native-notes");
        }
        throw new IllegalStateException("native-notes/ not found above " + Path.of("").toAbsolutePath());
    }

    /** The rows (cells trimmed, header and separator dropped) of the first table after {@code heading}. */
    static List<String[]> table(String note, String heading) throws IOException {
        List<String> lines = Files.readAllLines(NOTES.resolve(note));
        int i = 0;
        while (i < lines.size() && !lines.get(i).trim().equals(heading)) i++;
        if (i == lines.size()) fail(note + ": no heading '" + heading + "'");
        while (i < lines.size() && !lines.get(i).startsWith("|")) i++;
        List<String[]> rows = new ArrayList<>();
        for (i += 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String l = lines.get(i).replace("\\|", "\u0000");
            String[] cells = l.substring(1, l.lastIndexOf('|')).split("\\|", -1);
            for (int c = 0; c < cells.length; c++) cells[c] = cells[c].replace('\u0000', '|').trim();
            rows.add(cells);
        }
        if (rows.isEmpty()) fail(note + ": no table under '" + heading + "'");
        return rows;
    }

    /** "0x800", "10", "-11", "10004 (WSAEINTR)", "**-10**": the leading number; null for "—" or text. */
    static Integer number(String cell) {
        String s = cell.replace("*", "").trim();
        int end = 0;
        if (s.startsWith("-")) end = 1;
        if (s.startsWith("0x", end)) {
            end += 2;
            while (end < s.length() && Character.digit(s.charAt(end), 16) >= 0) end++;
            String hex = s.substring(0, end);
            boolean neg = hex.startsWith("-");
            int v = Integer.parseUnsignedInt(hex.substring(neg ? 3 : 2), 16);
            return neg ? -v : v;
        }
        while (end < s.length() && Character.isDigit(s.charAt(end))) end++;
        if (end == 0 || (end == 1 && s.startsWith("-"))) return null;
        return Integer.parseInt(s.substring(0, end));
    }

    /** "a / b / c" split into its parts. */
    private static String[] parts(String cell) {
        return cell.split(" / ");
    }

    @Test
    void socketConstantsTable() throws Exception {
        SocketConsts[] os = {SocketConsts.LINUX, SocketConsts.MACOS, SocketConsts.FREEBSD, SocketConsts.WINDOWS};
        int checked = 0;
        for (String[] row : table("constants.md", "## Sockets (`SocketConsts`)")) {
            String[] names = parts(row[0]);
            for (int o = 0; o < os.length; o++) {
                String cell = row[1 + o];
                switch (row[0]) {
                    case "sockaddr starts with" -> {
                        assertEquals(cell.contains("u8 len"), os[o].sinLen(), os[o].os() + " sinLen");
                        checked++;
                        continue;
                    }
                    case "accept4" -> {
                        assertEquals(cell.equals("yes"), os[o].hasAccept4(), os[o].os() + " accept4");
                        checked++;
                        continue;
                    }
                    default -> { }
                }
                String[] values = cell.startsWith("—") ? null : parts(cell);
                for (int n = 0; n < names.length; n++) {
                    int actual = component(os[o], names[n]);
                    if (values == null) {
                        assertTrue(actual == -1 || actual == 0,
                                os[o].os() + " " + names[n] + ": the note says the OS has none, the code has " + actual);
                    } else {
                        assertEquals(number(values[n]), actual, os[o].os() + " " + names[n]);
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 40, "checked only " + checked + " cells");
    }

    private static int component(SocketConsts c, String name) throws Exception {
        for (RecordComponent rc : SocketConsts.class.getRecordComponents()) {
            if (rc.getName().equals(name)) return (int) rc.getAccessor().invoke(c);
        }
        throw new AssertionError("constants.md names " + name + ", which SocketConsts does not have");
    }

    @Test
    void errnoTable() throws IOException {
        List<Map<String, Integer>> os = List.of(Errno.LINUX, Errno.BSD, Errno.WINSOCK);
        int checked = 0;
        for (String[] row : table("constants.md", "## errno (`Errno.LINUX`, `Errno.BSD`, `Errno.WINSOCK`)")) {
            String name = row[0].split(" ")[0];
            for (int o = 0; o < os.size(); o++) {
                Integer expected = number(row[1 + o]);
                if (expected == null) continue; // "—": not a code this OS returns
                assertEquals(expected, os.get(o).get(name), name + " in column " + (o + 1));
                checked++;
            }
        }
        assertTrue(checked >= 40, "checked only " + checked + " cells");
    }

    @Test
    void fcntlTableOnThisOs() throws IOException {
        Map<String, Integer> code = Map.of("F_DUPFD", 0, "F_GETFD", Unistd.F_GETFD, "F_SETFD", Unistd.F_SETFD,
                "F_GETFL", Unistd.F_GETFL, "F_SETFL", Unistd.F_SETFL, "FD_CLOEXEC", Unistd.FD_CLOEXEC,
                "O_NONBLOCK", Unistd.O_NONBLOCK);
        // Unistd holds the running OS's numbers only: check the column of this OS.
        int column = Platform.CURRENT.isBsdFamily() ? 2 : 1;
        int checked = 0;
        for (String[] row : table("constants.md", "## fcntl")) {
            String[] names = parts(row[0]);
            String cell = row[column].equals("same") ? row[1] : row[column];
            String[] values = parts(cell);
            for (int n = 0; n < names.length; n++) {
                assertEquals(number(values[n]), code.get(names[n]), names[n]);
                checked++;
            }
        }
        assertEquals(7, checked);
    }

    @Test
    void epollEventLayoutTable() throws IOException {
        List<String[]> rows = table("epoll.md", "## `struct epoll_event`");
        assertEquals(2, rows.size());
        for (String[] row : rows) {
            String arch = row[0].split(",")[0].trim();
            StructLayout l = Epoll.eventLayout(arch);
            assertEquals(number(row[1]), (int) l.byteSize(), arch + " size");
            assertEquals(number(row[2]), (int) l.byteOffset(PathElement.groupElement("events")), arch + " events");
            assertEquals(number(row[3]), (int) l.byteOffset(PathElement.groupElement("data")), arch + " data");
        }
    }

    @Test
    void keventLayoutTable() throws IOException {
        StructLayout mac = Kqueue.eventLayout(Platform.MACOS), bsd = Kqueue.eventLayout(Platform.FREEBSD);
        int checked = 0;
        for (String[] row : table("kqueue.md", "## `struct kevent` per OS (64-bit)")) {
            if (row[0].contains("sizeof")) {
                assertEquals(number(row[1]), (int) mac.byteSize(), "macOS sizeof");
                assertEquals(number(row[2]), (int) bsd.byteSize(), "FreeBSD sizeof");
                checked++;
                continue;
            }
            String field = row[0].replace("[4]", "");
            if (row[1].startsWith("—")) {
                assertFalse(mac.memberLayouts().stream().anyMatch(m -> m.name().orElse("").equals(field)), field);
            } else {
                assertEquals(number(row[1]), (int) mac.byteOffset(PathElement.groupElement(field)), "macOS " + field);
                assertEquals(number(row[3]), (int) mac.select(PathElement.groupElement(field)).byteSize(), field + " size");
            }
            assertEquals(number(row[2]), (int) bsd.byteOffset(PathElement.groupElement(field)), "FreeBSD " + field);
            checked++;
        }
        assertEquals(8, checked);
    }

    @Test
    void kqueueConstantsTable() throws IOException {
        Map<String, Integer> code = Map.ofEntries(
                Map.entry("EVFILT_READ", (int) Kqueue.EVFILT_READ), Map.entry("EVFILT_WRITE", (int) Kqueue.EVFILT_WRITE),
                Map.entry("EV_ADD", (int) Kqueue.EV_ADD), Map.entry("EV_DELETE", (int) Kqueue.EV_DELETE),
                Map.entry("EV_ENABLE", (int) Kqueue.EV_ENABLE), Map.entry("EV_DISABLE", (int) Kqueue.EV_DISABLE),
                Map.entry("EV_ONESHOT", (int) Kqueue.EV_ONESHOT), Map.entry("EV_CLEAR", (int) Kqueue.EV_CLEAR),
                Map.entry("EV_RECEIPT", (int) Kqueue.EV_RECEIPT), Map.entry("EV_DISPATCH", (int) Kqueue.EV_DISPATCH),
                Map.entry("EV_ERROR", Kqueue.EV_ERROR & 0xffff), Map.entry("EV_EOF", Kqueue.EV_EOF & 0xffff),
                Map.entry("NOTE_TRIGGER", Kqueue.NOTE_TRIGGER));
        int checked = 0;
        for (String[] row : table("kqueue.md", "## Constants")) {
            if (row[0].equals("EVFILT_USER")) {
                assertEquals(number(row[1]), (int) Kqueue.evfiltUser(Platform.MACOS), "macOS EVFILT_USER");
                assertEquals(number(row[2]), (int) Kqueue.evfiltUser(Platform.FREEBSD), "FreeBSD EVFILT_USER");
                checked++;
                continue;
            }
            if (row[0].startsWith("struct")) continue;
            String[] names = row[0].contains(" / ") ? parts(row[0]) : row[0].split(", ");
            String[] values = row[1].contains(" / ") ? parts(row[1]) : row[1].split(", ");
            assertTrue(row[2].equals("same") || row[2].equals(row[1]), row[0] + ": FreeBSD differs, check by hand");
            for (int n = 0; n < names.length; n++) {
                assertEquals(number(values[n]), code.get(names[n]), names[n]);
                checked++;
            }
        }
        assertEquals(14, checked);
    }

    @Test
    void epollConstantsLine() throws IOException {
        String text = Files.readString(NOTES.resolve("epoll.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("`(EPOLL[A-Z_]+|EFD_[A-Z]+) (?:= [A-Z_]+ = )?(0x[0-9a-f]+|1<<\\d+|0\\d+|\\d+)`")
                .matcher(text);
        Map<String, Integer> code = Map.ofEntries(
                Map.entry("EPOLLIN", Epoll.EPOLLIN), Map.entry("EPOLLPRI", Epoll.EPOLLPRI),
                Map.entry("EPOLLOUT", Epoll.EPOLLOUT), Map.entry("EPOLLERR", Epoll.EPOLLERR),
                Map.entry("EPOLLHUP", Epoll.EPOLLHUP), Map.entry("EPOLLRDHUP", Epoll.EPOLLRDHUP),
                Map.entry("EPOLLEXCLUSIVE", Epoll.EPOLLEXCLUSIVE), Map.entry("EPOLLONESHOT", Epoll.EPOLLONESHOT),
                Map.entry("EPOLLET", Epoll.EPOLLET), Map.entry("EPOLL_CTL_ADD", Epoll.EPOLL_CTL_ADD),
                Map.entry("EPOLL_CLOEXEC", Epoll.EPOLL_CLOEXEC), Map.entry("EFD_NONBLOCK", EventFd.EFD_NONBLOCK));
        int checked = 0;
        while (m.find()) {
            String v = m.group(2);
            int value = v.startsWith("1<<") ? 1 << Integer.parseInt(v.substring(3))
                    : v.startsWith("0x") ? Integer.parseInt(v.substring(2), 16)
                    : v.length() > 1 && v.startsWith("0") ? Integer.parseInt(v, 8) : Integer.parseInt(v);
            Integer expected = code.get(m.group(1));
            if (expected == null) fail("epoll.md names " + m.group(1) + ", which this test does not know");
            assertEquals(expected.intValue(), value, m.group(1));
            checked++;
        }
        assertEquals(code.size(), checked, "every constant of the note's line, once");
    }
}
