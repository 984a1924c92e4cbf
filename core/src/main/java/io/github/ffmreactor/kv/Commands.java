package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The command table and the one way a command runs: looked up by the bytes of its name in any
 * case (a small open-addressing table, no allocation), its arity checked, queued instead when
 * the connection is inside MULTI, and run, under the store's lock when it touches keys. A new
 * command is a row in one of the groups ({@link StringCommands}, {@link KeyCommands},
 * {@link ServerCommands}), not a branch here.
 */
final class Commands {
    private Commands() {}

    static final List<Command> ALL;
    private static final Command[] TABLE = new Command[256];
    private static final byte[][] NAMES = new byte[256][];

    static {
        List<Command> all = new ArrayList<>();
        all.addAll(StringCommands.ALL);
        all.addAll(KeyCommands.ALL);
        all.addAll(ServerCommands.ALL);
        ALL = List.copyOf(all);
        for (Command c : ALL) {
            byte[] name = c.name().getBytes(StandardCharsets.US_ASCII);
            int i = slot(MemorySegment.ofArray(name), 0, name.length);
            while (TABLE[i] != null) {
                if (c.name().equals(TABLE[i].name())) throw new IllegalStateException("command " + c.name() + " twice");
                i = (i + 1) & (TABLE.length - 1);
            }
            TABLE[i] = c;
            NAMES[i] = name;
        }
    }

    private static int slot(MemorySegment s, long off, int len) {
        int h = len;
        for (int i = 0; i < len; i++) h = h * 31 + (s.get(ValueLayout.JAVA_BYTE, off + i) | 0x20);
        return (h ^ (h >>> 8)) & (TABLE.length - 1);
    }

    /** The command named by {@code s[off, off+len)} in any case, or null. */
    static Command lookup(MemorySegment s, long off, int len) {
        if (len > 16) return null;
        for (int i = slot(s, off, len); TABLE[i] != null; i = (i + 1) & (TABLE.length - 1)) {
            byte[] n = NAMES[i];
            if (n.length != len) continue;
            int k = 0;
            while (k < len && (s.get(ValueLayout.JAVA_BYTE, off + k) | 0x20) == n[k]) k++;
            if (k == len) return TABLE[i];
        }
        return null;
    }

    private static final byte[] QUEUED = RespWriter.b("+QUEUED\r\n");

    /** Runs (or queues) the command in {@code c}. False when the connection is to close after its reply. */
    static boolean dispatch(Call c) {
        c.state.commands++;
        Command cmd = lookup(c.seg(0), c.off[0], c.len[0]);
        Transaction tx = c.session.tx();
        if (cmd == null) {
            if (tx != null) tx.abort();
            c.unknown();
        } else if (!cmd.arityFits(c.argc)) {
            if (tx != null) tx.abort();
            c.arity(cmd.name());
        } else if (tx != null && (cmd.flags() & Command.NO_MULTI) != 0) {
            tx.abort();
            c.error("ERR Command not allowed inside a transaction");
        } else if (tx != null && (cmd.flags() & Command.TX_CONTROL) == 0) {
            if (tx.queue(cmd, c)) c.out.raw(QUEUED);
            else c.error("ERR transaction over the query buffer limit of " + c.kv.config().effectiveQueryLimit() + " bytes");
        } else {
            run(cmd, c);
        }
        return !c.stop;
    }

    static void run(Command cmd, Call c) {
        if ((cmd.flags() & Command.STORE) != 0) c.lockStore();
        cmd.run().run(c);
    }
}
