package io.github.ffmreactor.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every Winsock (and kernel32) binding's FunctionDescriptor against the C prototype Microsoft
 * documents, translated with the 64-bit Windows type sizes (LLP64: int and long are 32 bits,
 * SOCKET is UINT_PTR, pointers 64 bits). Runs on any host: nothing here links ws2_32; the
 * descriptors are only turned into unbound downcall handles with this host's linker, which checks
 * that the options (errno capture, critical) combine with those argument layouts.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class WinsockBindingsTest {
    /** The prototypes, as in winsock2.h / the Win32 docs (names abbreviated, types exact). */
    private static final Map<String, String> PROTOTYPES = Map.ofEntries(
            Map.entry("WSAStartup", "int (WORD version, LPWSADATA data)"),
            Map.entry("WSASocketW", "SOCKET (int af, int type, int protocol, LPWSAPROTOCOL_INFOW info, GROUP g, DWORD flags)"),
            Map.entry("ioctlsocket", "int (SOCKET s, long cmd, u_long *argp)"),
            Map.entry("bind", "int (SOCKET s, const struct sockaddr *name, int namelen)"),
            Map.entry("listen", "int (SOCKET s, int backlog)"),
            Map.entry("accept", "SOCKET (SOCKET s, struct sockaddr *addr, int *addrlen)"),
            Map.entry("connect", "int (SOCKET s, const struct sockaddr *name, int namelen)"),
            Map.entry("getsockname", "int (SOCKET s, struct sockaddr *name, int *namelen)"),
            Map.entry("getpeername", "int (SOCKET s, struct sockaddr *name, int *namelen)"),
            Map.entry("getsockopt", "int (SOCKET s, int level, int optname, char *optval, int *optlen)"),
            Map.entry("setsockopt", "int (SOCKET s, int level, int optname, const char *optval, int optlen)"),
            Map.entry("shutdown", "int (SOCKET s, int how)"),
            Map.entry("send", "int (SOCKET s, const char *buf, int len, int flags)"),
            Map.entry("recv", "int (SOCKET s, char *buf, int len, int flags)"),
            Map.entry("sendto", "int (SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to, int tolen)"),
            Map.entry("recvfrom", "int (SOCKET s, char *buf, int len, int flags, struct sockaddr *from, int *fromlen)"),
            Map.entry("closesocket", "int (SOCKET s)"),
            Map.entry("select", "int (int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, const struct timeval *timeout)"),
            Map.entry("SetHandleInformation", "BOOL (HANDLE object, DWORD mask, DWORD flags)"));

    /**
     * Pointer parameters deliberately passed as 64-bit integers (symbol#index): the I/O buffers
     * (an address computed from a bounds-checked segment) and the HANDLE that is a SOCKET's value.
     */
    private static final Set<String> POINTER_AS_LONG = Set.of(
            "send@addr#1", "recv@addr#1", "sendto@addr#1", "recvfrom@addr#1", "SetHandleInformation#0");

    /** A C type of 64-bit Windows as a layout. */
    static MemoryLayout layoutOf(String cType) {
        String t = cType.replace("const ", "").replace("struct ", "").trim();
        if (t.endsWith("*") || t.startsWith("LP") || t.equals("HANDLE")) return ADDRESS;
        return switch (t) {
            case "SOCKET" -> JAVA_LONG;                                   // UINT_PTR
            case "int", "long", "u_long", "u_int", "DWORD", "GROUP", "BOOL" -> JAVA_INT; // LLP64
            case "WORD" -> JAVA_SHORT;
            default -> throw new IllegalArgumentException("unknown C type " + cType);
        };
    }

    /** "int (SOCKET s, char *buf)" -> [return, arg0, arg1...] as layouts. */
    static List<MemoryLayout> parse(String prototype) {
        int open = prototype.indexOf('(');
        List<MemoryLayout> r = new ArrayList<>();
        r.add(layoutOf(prototype.substring(0, open)));
        String params = prototype.substring(open + 1, prototype.lastIndexOf(')')).trim();
        for (String p : params.split(",")) {
            p = p.trim();
            // Drop the parameter name; a '*' stays with the type.
            int cut = Math.max(p.lastIndexOf(' '), p.lastIndexOf('*'));
            String type = p.charAt(cut) == '*' ? p.substring(0, cut + 1) : p.substring(0, cut);
            r.add(layoutOf(type));
        }
        return r;
    }

    private static MemoryLayout plain(MemoryLayout l) {
        return l.withoutName();
    }

    @Test
    void parserReadsThePrototypes() {
        assertEquals(List.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT), parse(PROTOTYPES.get("send")));
        assertEquals(List.of(JAVA_INT, JAVA_SHORT, ADDRESS), parse(PROTOTYPES.get("WSAStartup")));
        assertEquals(List.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), parse(PROTOTYPES.get("accept")));
    }

    @Test
    void everyDescriptorMatchesItsCPrototype() {
        Set<String> seen = new HashSet<>();
        for (Winsock.Binding b : Winsock.BINDINGS) {
            String proto = PROTOTYPES.get(b.cName());
            assertNotNull(proto, "no prototype for " + b.symbol());
            seen.add(b.cName());
            List<MemoryLayout> want = parse(proto);
            assertEquals(plain(want.get(0)), plain(b.descriptor().returnLayout().orElseThrow()), b.symbol() + " return");
            List<MemoryLayout> args = b.descriptor().argumentLayouts();
            assertEquals(want.size() - 1, args.size(), b.symbol() + " argument count");
            for (int i = 0; i < args.size(); i++) {
                MemoryLayout w = want.get(i + 1), got = plain(args.get(i));
                if (w.equals(ADDRESS) && POINTER_AS_LONG.contains(b.symbol() + "#" + i)) {
                    assertEquals(JAVA_LONG, got, b.symbol() + " arg " + i + " (pointer as a 64-bit integer)");
                } else {
                    assertEquals(w, got, b.symbol() + " arg " + i);
                }
            }
        }
        assertEquals(PROTOTYPES.keySet(), seen, "every prototype is bound");
    }

    @Test
    void pointerAsLongIsPointerSized() {
        // Passing a pointer as JAVA_LONG is right only where both are 8 bytes in the integer
        // register class: the Windows x64 ABI (RCX, RDX, R8, R9, then the stack), like SysV.
        assertEquals(8, JAVA_LONG.byteSize());
        assertEquals(8, ADDRESS.byteSize(), "64-bit JVM");
    }

    @Test
    void captureAndCriticalWhereTheyBelong() {
        for (Winsock.Binding b : Winsock.BINDINGS) {
            String n = b.cName();
            // WSAStartup returns its error; SetHandleInformation's is GetLastError, not WSAGetLastError.
            boolean capture = !n.equals("WSAStartup") && !n.equals("SetHandleInformation");
            assertEquals(capture, b.capture(), n + " capture");
            // Blocking or possibly slow calls are never critical.
            if (Set.of("select", "closesocket", "WSASocketW", "WSAStartup", "SetHandleInformation").contains(n)) {
                assertFalse(b.critical(), n + " must not be critical");
            } else {
                assertTrue(b.critical(), n + " is a non-blocking call on a non-blocking socket");
            }
        }
    }

    @Test
    void descriptorsLinkAsUnboundHandlesWithTheirOptions() {
        // An unbound downcall takes the target address first, then the capture segment, then the
        // C arguments. Nothing is called and no symbol is looked up.
        for (Winsock.Binding b : Winsock.BINDINGS) {
            MethodHandle h = Linker.nativeLinker().downcallHandle(b.descriptor(), b.options());
            MethodType t = h.type();
            List<Class<?>> want = new ArrayList<>();
            want.add(MemorySegment.class);
            if (b.capture()) want.add(MemorySegment.class);
            for (MemoryLayout l : b.descriptor().argumentLayouts()) {
                want.add(l.equals(ADDRESS) ? MemorySegment.class
                        : l.byteSize() == 8 ? long.class : l.byteSize() == 4 ? int.class : short.class);
            }
            assertEquals(want, t.parameterList(), b.symbol());
            assertEquals(b.descriptor().returnLayout().orElseThrow().byteSize() == 8 ? long.class : int.class,
                    t.returnType(), b.symbol());
        }
    }

    @Test
    void flagValuesFromTheHeaders() {
        assertEquals(0x01, Winsock.WSA_FLAG_OVERLAPPED, "winsock2.h");
        assertEquals(0x80, Winsock.WSA_FLAG_NO_HANDLE_INHERIT, "winsock2.h (Windows 7 SP1 and later)");
        assertEquals(0x1, Winsock.HANDLE_FLAG_INHERIT, "winbase.h");
        assertEquals(-1L, Winsock.INVALID_SOCKET, "(SOCKET)(~0) read as a signed long");
    }

    @Test
    void nothingLinkedOffWindows() {
        if (Platform.CURRENT != Platform.WINDOWS) assertFalse(Winsock.available());
    }
}
