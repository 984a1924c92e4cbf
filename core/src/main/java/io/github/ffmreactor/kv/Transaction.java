package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * MULTI ... EXEC: the commands a connection queued, each with a copy of its arguments (the read
 * buffer they came in is reused), run one after another under the store's lock so no other
 * client sees the store between them. A command refused while queueing (unknown, wrong arity)
 * aborts the whole transaction, as Redis does. Queued bytes count against the client's query
 * buffer limit: a transaction cannot grow the server without bound.
 */
final class Transaction {
    /** A queued command: its row and a copy of its arguments. */
    private static final class Queued {
        final Command cmd;
        final MemorySegment args;
        final long[] off;
        final int[] len;

        Queued(Command cmd, MemorySegment args, long[] off, int[] len) {
            this.cmd = cmd;
            this.args = args;
            this.off = off;
            this.len = len;
        }
    }

    private final List<Queued> queued = new ArrayList<>();
    private final long limit;
    private long bytes;
    private boolean aborted;

    Transaction(long limit) {
        this.limit = limit;
    }

    /** A queueing error happened: EXEC will discard. */
    void abort() {
        aborted = true;
    }

    /** Queues a copy of the command in {@code c}; false (and aborted) past the limit. */
    boolean queue(Command cmd, Call c) {
        long total = 0;
        for (int i = 0; i < c.argc; i++) total += c.len[i];
        if (bytes + total + 16L * c.argc > limit) {
            aborted = true;
            return false;
        }
        bytes += total + 16L * c.argc;
        byte[] data = new byte[(int) total];
        long[] off = new long[c.argc];
        int[] len = new int[c.argc];
        int at = 0;
        for (int i = 0; i < c.argc; i++) {
            MemorySegment.copy(c.seg(i), c.off[i], MemorySegment.ofArray(data), at, c.len[i]);
            off[i] = at;
            len[i] = c.len[i];
            at += c.len[i];
        }
        queued.add(new Queued(cmd, MemorySegment.ofArray(data), off, len));
        return true;
    }

    /** EXEC: every reply in one array, or EXECABORT if queueing failed. */
    void exec(Call c) {
        if (aborted) {
            c.error("EXECABORT Transaction discarded because of previous errors.");
            return;
        }
        Session session = c.session;
        c.lockStore(); // all of them, whether they touch keys or not: nobody sees the store between two
        c.out.arrayHeader(queued.size());
        for (Queued q : queued) {
            c.on(session, q.args, q.off, q.len, q.off.length, null);
            Commands.run(q.cmd, c);
        }
    }
}
