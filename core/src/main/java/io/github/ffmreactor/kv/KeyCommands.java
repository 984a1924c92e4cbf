package io.github.ffmreactor.kv;

import static io.github.ffmreactor.kv.Command.STORE;

import java.util.ArrayList;
import java.util.List;

/** The key commands: DEL, EXISTS, expiry (EXPIRE, TTL, PERSIST and kin), TYPE, KEYS, SCAN. */
final class KeyCommands {
    private KeyCommands() {}

    static final List<Command> ALL = List.of(
            new Command("del", -2, STORE, KeyCommands::del),
            new Command("unlink", -2, STORE, KeyCommands::del),
            new Command("exists", -2, STORE, KeyCommands::exists),
            new Command("expire", -3, STORE, c -> expire(c, 1000, "expire")),
            new Command("pexpire", -3, STORE, c -> expire(c, 1, "pexpire")),
            new Command("ttl", 2, STORE, c -> ttl(c, 1000)),
            new Command("pttl", 2, STORE, c -> ttl(c, 1)),
            new Command("persist", 2, STORE, KeyCommands::persist),
            new Command("type", 2, STORE, KeyCommands::type),
            new Command("keys", 2, STORE, KeyCommands::keys),
            new Command("scan", -2, STORE, KeyCommands::scan));

    private static final byte[] NX = RespWriter.b("nx"), XX = RespWriter.b("xx"), GT = RespWriter.b("gt"),
            LT = RespWriter.b("lt"), MATCH = RespWriter.b("match"), COUNT = RespWriter.b("count"),
            TYPE = RespWriter.b("type"), STRING = RespWriter.b("string");
    private static final byte[] STRING_TYPE = RespWriter.b("+string\r\n"), NONE_TYPE = RespWriter.b("+none\r\n");

    private static void del(Call c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) {
            int slot = c.store.slot(c.seg(i), c.off[i], c.len[i]);
            if (slot >= 0) {
                c.store.removeSlot(slot);
                n++;
            }
        }
        c.out.integer(n);
    }

    private static void exists(Call c) {
        long n = 0;
        for (int i = 1; i < c.argc; i++) if (c.store.slot(c.seg(i), c.off[i], c.len[i]) >= 0) n++;
        c.out.integer(n);
    }

    /** EXPIRE / PEXPIRE key ttl [NX|XX|GT|LT] (Redis 7.0): 1 when the deadline was set, else 0. */
    private static void expire(Call c, long unitMillis, String name) {
        if (!c.integer(2)) return;
        long n = c.number[0];
        boolean nx = false, xx = false, gt = false, lt = false;
        for (int i = 3; i < c.argc; i++) {
            if (c.is(i, NX)) nx = true;
            else if (c.is(i, XX)) xx = true;
            else if (c.is(i, GT)) gt = true;
            else if (c.is(i, LT)) lt = true;
            else {
                c.error("ERR Unsupported option " + c.text(i, 128));
                return;
            }
        }
        if (nx && (xx || gt || lt)) {
            c.error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if (gt && lt) {
            c.error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        long now = KvStore.nowMillis();
        if (n > (Long.MAX_VALUE / 2 - now) / unitMillis || n < -(Long.MAX_VALUE / 2 - now) / unitMillis) {
            c.error("ERR invalid expire time in '" + name + "' command");
            return;
        }
        long deadline = now + n * unitMillis;
        int slot = c.store.slot(c.seg(1), c.off[1], c.len[1]);
        if (slot < 0) {
            c.out.integer(0);
            return;
        }
        long cur = c.store.deadline(slot);
        boolean has = cur != KvStore.NO_DEADLINE;
        // Redis: no deadline counts as an infinite one for GT and LT.
        if ((nx && has) || (xx && !has) || (gt && (!has || deadline <= cur)) || (lt && has && deadline >= cur)) {
            c.out.integer(0);
            return;
        }
        if (deadline <= now) c.store.removeSlot(slot); // a time in the past deletes the key
        else c.store.setDeadline(slot, deadline);
        c.out.integer(1);
    }

    private static void ttl(Call c, long unitMillis) {
        int slot = c.store.slot(c.seg(1), c.off[1], c.len[1]);
        if (slot < 0) {
            c.out.integer(-2);
            return;
        }
        long d = c.store.deadline(slot);
        if (d == KvStore.NO_DEADLINE) {
            c.out.integer(-1);
            return;
        }
        long left = Math.max(0, d - KvStore.nowMillis());
        c.out.integer(unitMillis == 1 ? left : (left + 500) / 1000);
    }

    private static void persist(Call c) {
        int slot = c.store.slot(c.seg(1), c.off[1], c.len[1]);
        if (slot < 0 || c.store.deadline(slot) == KvStore.NO_DEADLINE) {
            c.out.integer(0);
            return;
        }
        c.store.setDeadline(slot, KvStore.NO_DEADLINE);
        c.out.integer(1);
    }

    private static void type(Call c) {
        c.out.raw(c.store.slot(c.seg(1), c.off[1], c.len[1]) >= 0 ? STRING_TYPE : NONE_TYPE);
    }

    private static void keys(Call c) {
        byte[] pattern = c.bytes(1);
        List<byte[]> found = new ArrayList<>();
        c.store.scan(0, Integer.MAX_VALUE, k -> {
            if (Glob.matches(pattern, k)) found.add(k);
        });
        c.out.arrayHeader(found.size());
        for (byte[] k : found) c.out.bulk(k);
    }

    /** SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: the next cursor and a batch of keys. */
    private static void scan(Call c) {
        if (!Numbers.parse(c.seg(1), c.off[1], c.off[1] + c.len[1], true, c.number) || c.number[0] < 0) {
            c.error("ERR invalid cursor");
            return;
        }
        long cursor = c.number[0];
        byte[] pattern = null;
        long count = 10;
        boolean none = false;
        for (int i = 2; i < c.argc; i += 2) { // option, value
            if (i + 1 >= c.argc) {
                c.syntax();
                return;
            }
            if (c.is(i, MATCH)) {
                pattern = c.bytes(i + 1);
            } else if (c.is(i, COUNT)) {
                if (!c.integer(i + 1)) return;
                count = c.number[0];
                if (count < 1) {
                    c.syntax();
                    return;
                }
            } else if (c.is(i, TYPE)) {
                none = !c.is(i + 1, STRING); // every value here is a string
            } else {
                c.syntax();
                return;
            }
        }
        List<byte[]> found = new ArrayList<>();
        byte[] p = pattern;
        long next = c.store.scan(cursor, (int) Math.min(count, Integer.MAX_VALUE), k -> {
            if (p == null || Glob.matches(p, k)) found.add(k);
        });
        if (none) found.clear();
        c.out.arrayHeader(2);
        c.out.bulk(Long.toString(next));
        c.out.arrayHeader(found.size());
        for (byte[] k : found) c.out.bulk(k);
    }
}
