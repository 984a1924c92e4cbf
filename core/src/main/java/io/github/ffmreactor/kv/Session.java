package io.github.ffmreactor.kv;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.Handler;
import java.lang.foreign.MemorySegment;

/**
 * One connection's state: its parser, outbox, protocol version (HELLO), name, id and open
 * transaction. Replies of one read go out together ({@link RespWriter}); a protocol error or QUIT
 * is answered and the connection closed once the answer is out.
 *
 * <p>Back-pressure: while the peer does not read its replies (the loop paused reading) or a long
 * value is still going out, commands already received wait, held by the parser, instead of piling
 * up more output; they run when the output drains.
 */
final class Session implements Handler, RespParser.Sink {
    private final Kv kv;
    private final RespParser parser;
    private Kv.LoopState state;
    private RespWriter out;
    private Connection conn;
    private Outbox outbox;
    private boolean inputEnded, closeWhenDone;

    private boolean resp3;
    private long id;
    private byte[] name;
    private Transaction tx;

    Session(Kv kv) {
        this.kv = kv;
        this.parser = new RespParser(kv.config().maxBulk(), kv.config().effectiveQueryLimit(), this);
    }

    @Override
    public void onOpen(Connection c) {
        state = kv.state();
        out = state.out;
        conn = c;
        outbox = new Outbox(c, state, kv.config().outputBufferLimit());
        id = kv.opened();
    }

    @Override
    public void onClose(Connection c, Throwable cause) {
        parser.close();
        kv.closed();
    }

    @Override
    public void onData(Connection c, MemorySegment buf, int len) {
        out.begin(this);
        try {
            parser.feed(buf, 0, len);
        } finally {
            state.call.unlockStore();
        }
        finish();
    }

    private void finish() {
        if (!out.flush()) return;
        if (parser.failed() || (inputEnded && !parser.stalled())) closeWhenDone = true;
        if (closeWhenDone && !outbox.busy()) conn.closeAfterFlush(); // after the replies, close
    }

    @Override
    public boolean mayRun() {
        return !conn.isReadPaused() && !outbox.busy();
    }

    /** The peer read what was queued: run the commands that waited. */
    @Override
    public void onDrained(Connection c) {
        if (outbox.busy()) return;
        if (!parser.stalled()) {
            if (closeWhenDone) c.closeAfterFlush();
            return;
        }
        out.begin(this);
        try {
            parser.resume();
        } finally {
            state.call.unlockStore();
        }
        finish();
    }

    /** The peer ended its output: close after the commands still held have been answered. */
    @Override
    public void onInputClosed(Connection c) {
        inputEnded = true;
        if (!parser.stalled() && !outbox.busy()) c.closeAfterFlush();
        else closeWhenDone = !parser.stalled();
    }

    @Override
    public void onProtocolError(String message) {
        state.protocolErrors++;
        out.error("ERR " + message);
    }

    /** A command that will not run (unknown, wrong arity) keeps only the arguments its error quotes. */
    @Override
    public boolean runs(MemorySegment seg, long off, int len, long argc) {
        Command cmd = Commands.lookup(seg, off, len);
        return cmd != null && cmd.arityFits((int) argc);
    }

    @Override
    public boolean onCommand(MemorySegment seg, long[] off, int[] len, int argc, BigValue[] longArgs) {
        return Commands.dispatch(state.call.on(this, seg, off, len, argc, longArgs));
    }

    Outbox outbox() {
        return outbox;
    }

    boolean resp3() {
        return resp3;
    }

    void resp3(boolean on) {
        resp3 = on;
        out.protocol(on);
    }

    long id() {
        return id;
    }

    byte[] name() {
        return name;
    }

    void name(byte[] n) {
        name = n;
    }

    Transaction tx() {
        return tx;
    }

    void tx(Transaction t) {
        tx = t;
    }

    /** Bytes held for an unfinished command (for tests). */
    long heldBytes() {
        return parser.heldBytes();
    }
}
