package io.github.ffmreactor.kv;

import static io.github.ffmreactor.kv.Command.STORE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The string commands: GET, SET and its variants, counters, APPEND, STRLEN, MGET, MSET. */
final class StringCommands {
    private StringCommands() {}

    static final int ALWAYS = 0, IF_ABSENT = 1, IF_PRESENT = 2;
    private static final byte[] EX = RespWriter.b("ex"), PX = RespWriter.b("px"), NX = RespWriter.b("nx"),
            XX = RespWriter.b("xx"), KEEPTTL = RespWriter.b("keepttl"), GET = RespWriter.b("get");
    /** For {@link #setFor}: the key keeps its deadline. */
    private static final long KEEP = -1;

    static final List<Command> ALL = List.of(
            new Command("get", 2, STORE, StringCommands::get),
            new Command("set", -3, STORE, StringCommands::set),
            new Command("setnx", 3, STORE, c -> setFor(c, KvStore.NO_DEADLINE, IF_ABSENT, true)),
            new Command("setex", 4, STORE, c -> expiring(c, 1000, "setex")),
            new Command("psetex", 4, STORE, c -> expiring(c, 1, "psetex")),
            new Command("getdel", 2, STORE, StringCommands::getdel),
            new Command("append", 3, STORE, StringCommands::append),
            new Command("strlen", 2, STORE, StringCommands::strlen),
            new Command("incr", 2, STORE, c -> add(c, 1)),
            new Command("decr", 2, STORE, c -> add(c, -1)),
            new Command("incrby", 3, STORE, c -> addBy(c, false)),
            new Command("decrby", 3, STORE, c -> addBy(c, true)),
            new Command("mget", -2, STORE, StringCommands::mget),
            new Command("mset", -3, STORE, StringCommands::mset));

    private static void get(Call c) {
        Object v = c.store.get(c.seg(1), c.off[1], c.len[1]);
        if (v == null) c.out.nil();
        else c.out.bulk(v);
    }

    /** SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|KEEPTTL]. */
    private static void set(Call c) {
        int when = ALWAYS;
        long deadline = KvStore.NO_DEADLINE;
        boolean expiry = false, get = false;
        for (int i = 3; i < c.argc; i++) {
            boolean ex = c.is(i, EX), px = c.is(i, PX);
            if ((ex || px) && i + 1 < c.argc && !expiry) {
                if (!c.integer(i + 1)) return;
                deadline = deadline(c, c.number[0], ex ? 1000 : 1, "set");
                if (deadline == Long.MIN_VALUE) return;
                expiry = true;
                i++;
            } else if (c.is(i, KEEPTTL) && !expiry) {
                deadline = KEEP;
                expiry = true;
            } else if (c.is(i, NX) && when != IF_PRESENT) {
                when = IF_ABSENT;
            } else if (c.is(i, XX) && when != IF_ABSENT) {
                when = IF_PRESENT;
            } else if (c.is(i, GET)) {
                get = true;
            } else {
                c.syntax();
                return;
            }
        }
        if (get) {
            Object old = c.store.get(c.seg(1), c.off[1], c.len[1]);
            if (old == null) c.out.nil();
            else c.out.bulk(old);
            setQuietly(c, deadline, when);
        } else {
            setFor(c, deadline, when, false);
        }
    }

    /** The deadline for a TTL of {@code n} units, or Long.MIN_VALUE after replying Redis's error. */
    static long deadline(Call c, long n, long unitMillis, String command) {
        if (n <= 0 || n > Long.MAX_VALUE / 2 / unitMillis) {
            c.error("ERR invalid expire time in '" + command + "' command");
            return Long.MIN_VALUE;
        }
        return KvStore.nowMillis() + n * unitMillis;
    }

    /** SETEX / PSETEX key ttl value. */
    private static void expiring(Call c, long unitMillis, String name) {
        if (!c.integer(2)) return;
        long deadline = deadline(c, c.number[0], unitMillis, name);
        if (deadline == Long.MIN_VALUE) return;
        c.store.put(c.seg(1), c.off[1], c.len[1], c.value(3), deadline);
        c.ok();
    }

    private static boolean setQuietly(Call c, long deadline, int when) {
        KvStore st = c.store;
        int slot = st.slot(c.seg(1), c.off[1], c.len[1]);
        if ((when == IF_ABSENT && slot >= 0) || (when == IF_PRESENT && slot < 0)) return false;
        long keep = slot >= 0 ? st.deadline(slot) : KvStore.NO_DEADLINE;
        st.put(c.seg(1), c.off[1], c.len[1], c.value(2), deadline == KEEP ? keep : deadline);
        return true;
    }

    /** Sets and replies: +OK or nil (SET), 1 or 0 (SETNX, {@code integerReply}). */
    private static void setFor(Call c, long deadline, int when, boolean integerReply) {
        boolean done = setQuietly(c, deadline, when);
        if (integerReply) c.out.integer(done ? 1 : 0);
        else if (done) c.ok();
        else c.out.nil();
    }

    private static void getdel(Call c) {
        int slot = c.store.slot(c.seg(1), c.off[1], c.len[1]);
        if (slot < 0) {
            c.out.nil();
            return;
        }
        c.out.bulk(c.store.value(slot)); // first: the reply holds a big value the store then lets go
        c.store.removeSlot(slot);
    }

    private static void append(Call c) {
        KvStore st = c.store;
        int slot = st.slot(c.seg(1), c.off[1], c.len[1]);
        MemorySegment old = slot < 0 ? MemorySegment.NULL : KvStore.bytes(st.value(slot));
        long total = old.byteSize() + c.len[2];
        if (total > c.kv.config().maxBulk()) {
            c.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            return;
        }
        // A new value: replies may hold the old one.
        MemorySegment tail = c.seg(2).asSlice(c.off[2], c.len[2]);
        Object v;
        if (total >= BigValue.SIZE) {
            v = BigValue.concat(old, tail);
        } else {
            byte[] a = new byte[(int) total];
            MemorySegment.copy(old, ValueLayout.JAVA_BYTE, 0, a, 0, (int) old.byteSize());
            MemorySegment.copy(tail, ValueLayout.JAVA_BYTE, 0, a, (int) old.byteSize(), c.len[2]);
            v = a;
        }
        if (slot < 0) st.add(c.seg(1), c.off[1], c.len[1], v, KvStore.NO_DEADLINE);
        else st.replace(slot, v);
        c.out.integer(total);
    }

    private static void strlen(Call c) {
        Object v = c.store.get(c.seg(1), c.off[1], c.len[1]);
        c.out.integer(v == null ? 0 : KvStore.length(v));
    }

    private static void addBy(Call c, boolean negate) {
        if (!c.integer(2)) return;
        long by = c.number[0];
        if (negate) {
            if (by == Long.MIN_VALUE) {
                c.error("ERR decrement would overflow");
                return;
            }
            by = -by;
        }
        add(c, by);
    }

    /** INCR, DECR, INCRBY, DECRBY: the key keeps its deadline, as in Redis. */
    private static void add(Call c, long by) {
        KvStore st = c.store;
        int slot = st.slot(c.seg(1), c.off[1], c.len[1]);
        long v = 0;
        if (slot >= 0) {
            MemorySegment cur = KvStore.bytes(st.value(slot));
            if (!Numbers.parse(cur, 0, cur.byteSize(), true, c.number)) {
                c.error("ERR value is not an integer or out of range");
                return;
            }
            v = c.number[0];
        }
        long sum = v + by;
        if (((v ^ sum) & (by ^ sum)) < 0) {
            c.error("ERR increment or decrement would overflow");
            return;
        }
        byte[] text = Long.toString(sum).getBytes(StandardCharsets.US_ASCII);
        if (slot >= 0) st.replace(slot, text);
        else st.add(c.seg(1), c.off[1], c.len[1], text, KvStore.NO_DEADLINE);
        c.out.integer(sum);
    }

    private static void mget(Call c) {
        c.out.arrayHeader(c.argc - 1);
        for (int i = 1; i < c.argc; i++) {
            Object v = c.store.get(c.seg(i), c.off[i], c.len[i]);
            if (v == null) c.out.nil();
            else c.out.bulk(v);
        }
    }

    private static void mset(Call c) {
        if (c.argc % 2 == 0) {
            c.arity("mset");
            return;
        }
        for (int i = 1; i < c.argc; i += 2) c.store.put(c.seg(i), c.off[i], c.len[i], c.value(i + 1), KvStore.NO_DEADLINE);
        c.ok();
    }
}
