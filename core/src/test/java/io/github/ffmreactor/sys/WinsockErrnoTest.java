package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WSAGetLastError codes under their POSIX names, so that the loop's {@code r == -Errno.EAGAIN}
 * means WSAEWOULDBLOCK on Windows. Checked on any host through {@link Errno#nameIn}.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WinsockErrnoTest {
    @Test
    void wsaCodesGetPosixNames() {
        Map<String, Integer> w = Errno.WINSOCK;
        assertEquals("EAGAIN", Errno.nameIn(w, 10035), "WSAEWOULDBLOCK");
        assertEquals("EINPROGRESS", Errno.nameIn(w, 10036), "WSAEINPROGRESS");
        assertEquals("ECONNRESET", Errno.nameIn(w, 10054), "WSAECONNRESET");
        assertEquals("ECONNABORTED", Errno.nameIn(w, 10053), "WSAECONNABORTED");
        assertEquals("ECONNREFUSED", Errno.nameIn(w, 10061), "WSAECONNREFUSED");
        assertEquals("ENOTSOCK", Errno.nameIn(w, 10038), "WSAENOTSOCK");
        assertEquals("EMSGSIZE", Errno.nameIn(w, 10040), "WSAEMSGSIZE");
        assertEquals("EADDRINUSE", Errno.nameIn(w, 10048), "WSAEADDRINUSE");
        assertEquals("EMFILE", Errno.nameIn(w, 10024), "WSAEMFILE");
        assertEquals("ETIMEDOUT", Errno.nameIn(w, 10060), "WSAETIMEDOUT");
        assertEquals("errno 10093", Errno.nameIn(w, 10093), "WSANOTINITIALISED has no POSIX name");
    }

    @Test
    void wsaCodesAreWsabaseerrPlusTheBsdNumber() {
        // winerror.h defines each WSAExxx as WSABASEERR (10000) + the 4.2BSD errno: an independent
        // check of every Winsock number in the table against the BSD table.
        int checked = 0;
        for (Map.Entry<String, Integer> e : Errno.WINSOCK.entrySet()) {
            if (e.getValue() < 10000) continue; // the few names kept only so that constants resolve
            Integer bsd = Errno.BSD.get(e.getKey());
            assertNotNull(bsd, e.getKey());
            assertEquals(10000 + bsd, (int) e.getValue(), e.getKey());
            checked++;
        }
        assertEquals(32, checked);
    }

    @Test
    void noTwoNamesShareANumber() {
        Map<Integer, String> seen = new HashMap<>();
        Errno.WINSOCK.forEach((k, v) -> assertEquals(null, seen.put(v, k), k + " and " + seen.get(v) + " share " + v));
    }

    @Test
    void runningOsNamesStillWork() {
        assertEquals("EAGAIN", Errno.name(Errno.EAGAIN));
        assertEquals("EMSGSIZE", Errno.name(Errno.EMSGSIZE));
        assertEquals(Errno.CURRENT.get("EMSGSIZE"), Errno.EMSGSIZE);
    }
}
