package io.github.ffmreactor.poll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.sys.SockAddr;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Winsock;
import java.lang.foreign.MemorySegment;
import io.github.ffmreactor.sys.Errno;

/**
 * Windows select (ws2_32). Sockets are SOCKET handles, passed through the Poller's {@code int fd}
 * as their low 32 bits (zero-extended back): Windows keeps kernel handle values within 32 bits so
 * that 32- and 64-bit processes can share them.
 *
 * <p>The Winsock fd_set is a counted list of handles, rebuilt from the registrations before each
 * wait (select rewrites it to the ready subset). Sets here hold up to {@link #SET_SIZE} handles
 * (Winsock reads {@code fd_count} entries; FD_SETSIZE 64 is only the C default). A failed
 * non-blocking connect is reported only in exceptfds, so every socket watched for WRITE is also
 * watched there and an exception is reported as WRITE|ERROR. Wakeup is a UDP socket bound to
 * 127.0.0.1 and connected to itself: a wakeup sends it one datagram.
 *
 * <p>Level-triggered only; edge and oneshot are refused. Not run on this project's Linux machine:
 * it compiles everywhere and its fd_set encoding is tested byte for byte (WinsockLayoutTest); CI
 * builds it on Windows.
 */
public final class WinSelectPoller extends TablePoller {
    static final int SET_SIZE = 1024;
    private static final Capabilities CAPS = new Capabilities(false, false, Integer.MAX_VALUE);
    private static final SocketConsts C = SocketConsts.CURRENT;
    private static final int IPPROTO_UDP = 17;

    private final long setBytes = Winsock.fdSetLayout(SET_SIZE).byteSize();
    private final MemorySegment readSet = arena.allocate(setBytes, 8);
    private final MemorySegment writeSet = arena.allocate(setBytes, 8);
    private final MemorySegment exceptSet = arena.allocate(setBytes, 8);
    private final MemorySegment timeval = arena.allocate(Winsock.TIMEVAL_SIZE, 8);
    private final MemorySegment scratch = arena.allocate(64, 8);
    private final MemorySegment wakeBuf = arena.allocate(64, 8);
    private final long wakeSocket;

    private final int[] bitsOf = new int[SET_SIZE];        // by table entry, during collect
    private final long[] list = new long[SET_SIZE];

    public WinSelectPoller() throws NativeException {
        super(CAPS, new FdTable(SET_SIZE, false));
        if (!Winsock.available()) throw new UnsupportedOperationException("Winsock select is only available on Windows");
        try {
            int e = Winsock.startup(arena.allocate(Winsock.WSADATA_SIZE, 8));
            if (e != 0) throw Errno.exception("WSAStartup", e);
            long s = Winsock.socket(cs, C.AF_INET(), C.SOCK_DGRAM(), IPPROTO_UDP);
            if (s < 0) throw Errno.exception("socket", (int) -s, "for the wakeup socket");
            own(() -> Winsock.closesocket(cs, s));
            Errno.check("ioctlsocket(FIONBIO)", Winsock.setNonBlocking(cs, s, scratch));
            MemorySegment sa = scratch.asSlice(0, SockAddr.SIZEOF_IN);
            SockAddr.encode(C, sa, new byte[] {127, 0, 0, 1}, 0, 0);
            Errno.check("bind", Winsock.bind(cs, s, sa, SockAddr.SIZEOF_IN));
            MemorySegment len = scratch.asSlice(32, 4);
            len.set(JAVA_INT, 0, SockAddr.SIZEOF_IN);
            Errno.check("getsockname", Winsock.getsockname(cs, s, sa, len));
            Errno.check("connect", Winsock.connect(cs, s, sa, SockAddr.SIZEOF_IN));
            wakeSocket = s;
        } catch (NativeException | RuntimeException ex) {
            abandon();
            throw ex;
        }
        wakeBuf.set(JAVA_BYTE, 0, (byte) 1);
    }

    @Override public String name() { return "select"; }

    @Override
    void checkHandle(int fd) throws NativeException {
        long s = FdTable.key(fd);
        if (table.count() == SET_SIZE - 1) {
            throw new IllegalArgumentException("select: " + table.count() + " sockets already registered, the most a set here holds");
        }
        // A handle that is not a socket would fail the whole select later: check it now.
        MemorySegment len = scratch.asSlice(8, 4);
        len.set(JAVA_INT, 0, 4);
        int r = Winsock.getsockopt(cs, s, C.SOL_SOCKET(), Winsock.SO_TYPE, scratch.asSlice(0, 4), len);
        if (r < 0) throw Errno.exception("select register", -r, "socket " + s);
    }

    private void fill(MemorySegment set, int mask, boolean withWake) {
        int n = 0;
        if (withWake) list[n++] = wakeSocket;
        for (int i = 0, count = table.count(); i < count; i++) {
            if ((table.interest(i) & mask) != 0) list[n++] = FdTable.key(table.fd(i));
        }
        Winsock.encodeFdSet(set, list, n);
    }

    private void mark(MemorySegment set, int bits) {
        int n = Winsock.fdCount(set);
        for (int k = 0; k < n; k++) {
            long s = Winsock.fdAt(set, k);
            if (s == wakeSocket) {
                drainWake();
                continue;
            }
            int i = s >= 0 && s <= 0xFFFF_FFFFL ? table.entry((int) s) : -1;
            if (i >= 0) bitsOf[i] |= bits;
        }
    }

    private void drainWake() {
        int r;
        do {
            r = Winsock.recv(cs, wakeSocket, wakeBuf.asSlice(8, 32), 32, 0);
        } while (r > 0);
    }

    @Override
    int waitOnce(int timeoutMillis) {
        // select rewrites the sets to the ready subset: rebuild them for every call.
        fill(readSet, READ | HANGUP, true);
        fill(writeSet, WRITE, false);
        fill(exceptSet, WRITE, false);
        MemorySegment tv = MemorySegment.NULL;
        if (timeoutMillis >= 0) {
            Winsock.timeval(timeval, timeoutMillis);
            tv = timeval;
        }
        return Winsock.select(cs, readSet, Winsock.fdCount(writeSet) > 0 ? writeSet : MemorySegment.NULL,
                Winsock.fdCount(exceptSet) > 0 ? exceptSet : MemorySegment.NULL, tv);
    }

    @Override
    int collect(int n) {
        mark(readSet, READ);
        if (Winsock.fdCount(writeSet) > 0) mark(writeSet, WRITE);
        if (Winsock.fdCount(exceptSet) > 0) mark(exceptSet, WRITE | ERROR);
        table.clearReady();
        for (int i = 0, count = table.count(); i < count; i++) {
            int b = bitsOf[i];
            if (b == 0) continue;
            bitsOf[i] = 0;
            table.ready(i, b);
        }
        return table.readyCount();
    }

    @Override String waitCall() { return "select"; }

    @Override
    void signalWakeup() {
        Winsock.send(Native.threadCallState(), wakeSocket, wakeBuf, 1, 0);
    }
}
