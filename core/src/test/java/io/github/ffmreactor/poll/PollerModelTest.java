package io.github.ffmreactor.poll;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.net.Fds;
import io.github.ffmreactor.net.SocketIo;
import io.github.ffmreactor.net.Tcp;
import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Native;
import io.github.ffmreactor.sys.SocketConsts;
import io.github.ffmreactor.sys.Unistd;
import io.github.ffmreactor.testutil.TcpPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.Size;

/**
 * The Poller contract as a model: random sequences of register / modify / deregister / close and of
 * peer actions (send, half-close, reset, a refused connect), run on a backend and on a small model
 * of what the contract promises, compared at every poll. A divergence is shrunk by jqwik to the
 * shortest sequence and printed with what the model expected.
 *
 * <p>The model is level-triggered and oneshot (edge triggering's "when it becomes true" is
 * checked by the behavioural tests): a registered fd whose interest is met is reported at the next
 * poll with one of the asked-for bits, one that is not is never reported; a oneshot fd is reported
 * once until modified; register twice is EEXIST, modify or deregister of an fd not registered is
 * ENOENT; a refused connect is reported to WRITE interest with ECONNREFUSED (in the event, or
 * through SO_ERROR). What backends may rightly differ on is left open: an fd with interest 0 whose
 * peer reset it (epoll reports EPOLLERR anyway; kqueue has no filter). The number of sequences is
 * jqwik.tries.default (core/pom.xml: more under -Pstress); the backend is drawn with each.
 */
@Tag("stress")
class PollerModelTest {
    static final int SLOTS = 3;
    static final int[] INTERESTS = {0, Poller.READ, Poller.READ | Poller.HANGUP, Poller.WRITE,
            Poller.READ | Poller.WRITE, Poller.READ | Poller.HANGUP | Poller.WRITE};

    sealed interface Step permits Register, Modify, Deregister, Close, Send, Drain, HalfClose, Reset,
            RefusedConnect, Poll {}
    record Register(int slot, int interest, Trigger trigger) implements Step {}
    record Modify(int slot, int interest) implements Step {}
    record Deregister(int slot) implements Step {}
    /** Deregisters (when registered) and closes the pair; the slot then gets a fresh pair. */
    record Close(int slot) implements Step {}
    record Send(int slot, int bytes) implements Step {}
    /** The server side reads until EAGAIN. */
    record Drain(int slot) implements Step {}
    record HalfClose(int slot) implements Step {}
    /** The peer closes with unread data: an RST. */
    record Reset(int slot) implements Step {}
    record RefusedConnect() implements Step {}
    record Poll() implements Step {}

    @Provide
    Arbitrary<String> backends() {
        return Arbitraries.of(Poller.available());
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> slot = Arbitraries.integers().between(0, SLOTS - 1);
        Arbitrary<Integer> interest = Arbitraries.of(0, 1, 2, 3, 4, 5).map(i -> INTERESTS[i]);
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Combinators.combine(slot, interest, Arbitraries.of(Trigger.LEVEL, Trigger.ONESHOT))
                        .as((s, i, t) -> (Step) new Register(s, i, t))),
                net.jqwik.api.Tuple.of(3, Combinators.combine(slot, interest).as((s, i) -> (Step) new Modify(s, i))),
                net.jqwik.api.Tuple.of(1, slot.map(s -> (Step) new Deregister(s))),
                net.jqwik.api.Tuple.of(1, slot.map(s -> (Step) new Close(s))),
                net.jqwik.api.Tuple.of(3, Combinators.combine(slot, Arbitraries.integers().between(1, 4096))
                        .as((s, n) -> (Step) new Send(s, n))),
                net.jqwik.api.Tuple.of(2, slot.map(s -> (Step) new Drain(s))),
                net.jqwik.api.Tuple.of(1, slot.map(s -> (Step) new HalfClose(s))),
                net.jqwik.api.Tuple.of(1, slot.map(s -> (Step) new Reset(s))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just((Step) new RefusedConnect())),
                net.jqwik.api.Tuple.of(5, Arbitraries.just((Step) new Poll())));
        return step.list().ofMinSize(1).ofMaxSize(30);
    }

    @Property
    void everyBackendBehavesAsTheModelSays(@ForAll("backends") String backend, @ForAll("steps") @Size(max = 30) List<Step> steps)
            throws Exception {
        try (Run run = new Run(backend)) {
            for (int i = 0; i < steps.size(); i++) {
                try {
                    run.apply(steps.get(i));
                } catch (AssertionError e) {
                    throw new AssertionError(backend + ", step " + (i + 1) + " " + steps.get(i) + ": " + e.getMessage(), e);
                }
            }
            run.apply(new Poll());
        }
    }

    /** One slot: a connected pair (server side watched) and what the model knows of it. */
    static final class Slot {
        TcpPair pair;
        boolean registered, armed, peerDone, eof, reset;
        int interest;
        Trigger trigger;
        long token;
        long pending;
    }

    /** A poller, its slots, and the model; applies steps to both and compares at each poll. */
    static final class Run implements AutoCloseable {
        final Poller poller;
        final boolean oneshot;
        final Slot[] slots = new Slot[SLOTS];
        long nextToken = 1;
        final Arena arena = Arena.ofConfined();
        final MemorySegment scratch = arena.allocate(64 * 1024);

        Run(String backend) throws Exception {
            poller = Poller.open(backend);
            oneshot = poller.capabilities().supports(Trigger.ONESHOT);
            for (int i = 0; i < SLOTS; i++) slots[i] = fresh();
        }

        static Slot fresh() throws Exception {
            Slot s = new Slot();
            s.pair = new TcpPair();
            return s;
        }

        void apply(Step step) throws Exception {
            switch (step) {
                case Register r -> {
                    Slot s = slots[r.slot()];
                    Trigger t = r.trigger() == Trigger.ONESHOT && !oneshot ? Trigger.LEVEL : r.trigger();
                    long token = nextToken++;
                    int e = errno(() -> poller.register(s.pair.server, r.interest(), t, token));
                    expectErrno("register", s.registered ? Errno.EEXIST : 0, e);
                    if (!s.registered) {
                        s.registered = true;
                        s.armed = true;
                        s.interest = r.interest();
                        s.trigger = t;
                        s.token = token;
                    }
                }
                case Modify m -> {
                    Slot s = slots[m.slot()];
                    long token = nextToken++;
                    int e = errno(() -> poller.modify(s.pair.server, m.interest(), s.registered ? s.trigger : Trigger.LEVEL, token));
                    expectErrno("modify", s.registered ? 0 : Errno.ENOENT, e);
                    if (s.registered) {
                        s.armed = true;
                        s.interest = m.interest();
                        s.token = token;
                    }
                }
                case Deregister d -> {
                    Slot s = slots[d.slot()];
                    int e = errno(() -> poller.deregister(s.pair.server));
                    expectErrno("deregister", s.registered ? 0 : Errno.ENOENT, e);
                    s.registered = false;
                }
                case Close c -> {
                    Slot s = slots[c.slot()];
                    if (s.registered) poller.deregister(s.pair.server);
                    s.pair.close();
                    slots[c.slot()] = fresh();
                }
                case Send m -> {
                    Slot s = slots[m.slot()];
                    if (s.peerDone || s.pending + m.bytes() > 64 * 1024) return; // a closed peer sends nothing
                    s.pair.send(s.pair.client, m.bytes());
                    s.pending += m.bytes();
                }
                case Drain d -> {
                    Slot s = slots[d.slot()];
                    long r;
                    do {
                        r = Unistd.read(Native.threadCallState(), s.pair.server, scratch, 0, scratch.byteSize());
                    } while (r > 0);
                    s.pending = 0;
                }
                case HalfClose h -> {
                    Slot s = slots[h.slot()];
                    if (s.peerDone) return;
                    Tcp.shutdownOutput(s.pair.client);
                    s.peerDone = true;
                    s.eof = true;
                }
                case Reset r -> {
                    Slot s = slots[r.slot()];
                    if (s.reset) return;
                    // Unread data at the peer's close makes its kernel send RST, not FIN.
                    s.pair.send(s.pair.server, 1);
                    s.pair.closeClient();
                    s.peerDone = true;
                    s.reset = true;
                }
                case RefusedConnect rc -> refusedConnect();
                case Poll p -> checkPoll(0, 0);
            }
        }

        /** A connect to a closed port, watched for WRITE with the slots: reported with ECONNREFUSED. */
        void refusedConnect() throws Exception {
            int port;
            try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = ss.getLocalPort();
            }
            MemorySegment cs = Native.threadCallState();
            int c = SocketIo.socket(cs, SocketConsts.CURRENT.AF_INET(), SocketConsts.CURRENT.SOCK_STREAM());
            try {
                MemorySegment sa = arena.allocate(128, 8);
                int len = Tcp.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), sa);
                int r = SocketIo.connect(cs, c, sa, len);
                if (r == -Errno.ECONNREFUSED) return; // refused at once: reported by connect itself
                expectErrno("connect", Errno.EINPROGRESS, -r);
                long token = nextToken++;
                poller.register(c, Poller.WRITE, Trigger.LEVEL, token);
                checkPoll(c, token);
                poller.deregister(c);
            } finally {
                Fds.close(c);
            }
        }

        /**
         * Polls once and compares with the model. {@code connectToken} (when not 0) is a refused
         * connect on fd {@code connectFd}: it must be reported, with ECONNREFUSED.
         */
        void checkPoll(int connectFd, long connectToken) throws Exception {
            Map<Long, Slot> byToken = new HashMap<>();
            boolean anyExpected = connectToken != 0;
            for (Slot s : slots) {
                if (s.registered) byToken.put(s.token, s);
                if (expected(s) == Boolean.TRUE) anyExpected = true;
            }
            // Loopback delivers synchronously, so what is ready is ready now; the wait only bounds a slow kernel.
            int n = poller.poll(anyExpected ? 1000 : 0);
            Map<Long, Integer> bits = new HashMap<>();
            List<String> seen = new ArrayList<>();
            int connectErr = -1;
            for (int i = 0; i < n; i++) {
                long t = poller.token(i);
                int b = poller.ready(i);
                seen.add(t + ":" + bitNames(b));
                if (t == connectToken && connectToken != 0) {
                    int err = poller.error(i);
                    if (err == 0) err = Tcp.soError(connectFd);
                    if (connectErr <= 0) connectErr = err;
                    bits.merge(t, b, (x, y) -> x | y);
                    continue;
                }
                if (!byToken.containsKey(t)) throw new AssertionError("event for token " + t + ", which no registration holds; events " + seen);
                bits.merge(t, b, (x, y) -> x | y);
            }
            if (connectToken != 0) {
                Integer b = bits.get(connectToken);
                if (b == null || (b & (Poller.WRITE | Poller.ERROR | Poller.HANGUP)) == 0) {
                    throw new AssertionError("the refused connect was not reported; events " + seen);
                }
                if (connectErr != Errno.ECONNREFUSED) {
                    throw new AssertionError("the refused connect's errno is " + Errno.name(connectErr) + ", not ECONNREFUSED");
                }
            }
            for (int k = 0; k < SLOTS; k++) {
                Slot s = slots[k];
                if (!s.registered) continue;
                Integer got = bits.get(s.token);
                Boolean want = expected(s);
                String state = "slot " + k + " " + describe(s) + "; events " + seen;
                if (want == Boolean.FALSE && got != null) throw new AssertionError("reported " + bitNames(got) + " but should not be: " + state);
                if (want == Boolean.TRUE) {
                    if (got == null) throw new AssertionError("not reported but should be: " + state);
                    boolean readable = (s.interest & Poller.READ) != 0 && (s.pending > 0 || s.eof || s.reset);
                    int need = (readable ? Poller.READ | Poller.HANGUP | Poller.ERROR : 0)
                            | ((s.interest & Poller.WRITE) != 0 ? Poller.WRITE | Poller.ERROR | Poller.HANGUP : 0);
                    if ((got & need) == 0) throw new AssertionError("reported " + bitNames(got) + ", none of " + bitNames(need) + ": " + state);
                }
                if (got != null && s.trigger == Trigger.ONESHOT) s.armed = false;
            }
        }

        /** TRUE: must be reported; FALSE: must not; null: backends may differ. */
        static Boolean expected(Slot s) {
            if (!s.registered) return Boolean.FALSE;
            if (s.interest == 0) return s.reset ? null : Boolean.FALSE;
            if (!s.armed) return Boolean.FALSE;
            boolean readable = s.pending > 0 || s.eof || s.reset;
            return ((s.interest & Poller.READ) != 0 && readable) || (s.interest & Poller.WRITE) != 0 || s.reset;
        }

        static String describe(Slot s) {
            return "{interest " + bitNames(s.interest) + ", " + s.trigger + (s.armed ? "" : " disarmed") + ", pending "
                    + s.pending + (s.eof ? ", peer half-closed" : "") + (s.reset ? ", peer reset" : "") + "}";
        }

        static String bitNames(int b) {
            List<String> r = new ArrayList<>();
            if ((b & Poller.READ) != 0) r.add("READ");
            if ((b & Poller.WRITE) != 0) r.add("WRITE");
            if ((b & Poller.HANGUP) != 0) r.add("HANGUP");
            if ((b & Poller.ERROR) != 0) r.add("ERROR");
            return r.isEmpty() ? "0" : String.join("|", r);
        }

        interface Call { void run() throws NativeException; }

        static int errno(Call c) {
            try {
                c.run();
                return 0;
            } catch (NativeException e) {
                return e.errno();
            }
        }

        static void expectErrno(String call, int want, int got) {
            if (want != got) throw new AssertionError(call + ": " + (got == 0 ? "succeeded" : Errno.name(got)) + ", the contract says "
                    + (want == 0 ? "success" : Errno.name(want)));
        }

        @Override
        public void close() {
            for (Slot s : slots) {
                try {
                    if (s.registered) poller.deregister(s.pair.server);
                } catch (NativeException e) {
                    throw new AssertionError("deregister at the end: " + e.getMessage(), e);
                } finally {
                    s.pair.close();
                }
            }
            poller.close();
            arena.close();
        }
    }
}
