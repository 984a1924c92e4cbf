package io.github.ffmreactor.kv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One command being run: its arguments (views of the read buffer, or of a transaction's copy),
 * the session, the reply writer and the store. One per loop, reused for every command, so a
 * command allocates nothing to be called.
 */
final class Call {
    static final byte[] OK = RespWriter.b("+OK\r\n");

    final Kv kv;
    final Kv.LoopState state;
    final KvStore store;
    final RespWriter out;
    /** Scratch for parsed integers. */
    final long[] number = new long[1];
    Session session;
    /** Where the arguments are, except those in {@link #longs}: use {@link #seg}. */
    private MemorySegment s;
    /** Arguments read into memory of their own (null: none; else by index, null for the others). */
    private BigValue[] longs;
    long[] off;
    int[] len;
    int argc;
    /** The connection closes after this command's reply (QUIT). */
    boolean stop;
    /** This loop holds the store's lock (until the read's commands are done: {@link #unlockStore}). */
    private boolean storeLocked;

    Call(Kv kv, Kv.LoopState state) {
        this.kv = kv;
        this.state = state;
        this.store = kv.store();
        this.out = state.out;
    }

    Call on(Session session, MemorySegment s, long[] off, int[] len, int argc, BigValue[] longs) {
        this.session = session;
        this.s = s;
        this.longs = longs;
        this.off = off;
        this.len = len;
        this.argc = argc;
        stop = false;
        return this;
    }

    /** Takes the store's lock, once per read: the commands after this one run under it too. */
    void lockStore() {
        if (!storeLocked) {
            store.lock.lock();
            storeLocked = true;
        }
    }

    /** The read's commands are done: other loops may touch the store. */
    void unlockStore() {
        if (storeLocked) {
            storeLocked = false;
            store.lock.unlock();
        }
    }

    /** The segment argument i is in, at {@code off[i]}. */
    MemorySegment seg(int i) {
        return longs == null || longs[i] == null ? s : longs[i].bytes;
    }

    /**
     * Argument i as a value to store: a long argument's own memory, kept (the parser read it there
     * as it arrived, so storing it copies nothing), else a copy of the bytes.
     */
    Object value(int i) {
        return longs != null && longs[i] != null ? longs[i].retain() : KvStore.valueOf(s, off[i], len[i]);
    }

    /** Whether argument i is {@code lower} in any case. */
    boolean is(int i, byte[] lower) {
        if (len[i] != lower.length) return false;
        MemorySegment s = seg(i);
        long o = off[i];
        for (int k = 0; k < lower.length; k++) if ((s.get(ValueLayout.JAVA_BYTE, o + k) | 0x20) != lower[k]) return false;
        return true;
    }

    /** Argument i as text, cut at {@code max} bytes (for error messages). */
    String text(int i, int max) {
        return new String(bytes(i, max), StandardCharsets.UTF_8);
    }

    byte[] bytes(int i) {
        return bytes(i, Integer.MAX_VALUE);
    }

    private byte[] bytes(int i, int max) {
        byte[] b = new byte[Math.min(len[i], max)];
        MemorySegment.copy(seg(i), ValueLayout.JAVA_BYTE, off[i], b, 0, b.length);
        return b;
    }

    /** Argument i as a 64-bit integer into {@link #number}; false (and the error replied) when it is not one. */
    boolean integer(int i) {
        if (Numbers.parse(seg(i), off[i], off[i] + len[i], true, number)) return true;
        error("ERR value is not an integer or out of range");
        return false;
    }

    void ok() {
        out.raw(OK);
    }

    void error(String text) {
        state.errors++;
        out.error(text);
    }

    void syntax() {
        error("ERR syntax error");
    }

    void arity(String name) {
        error("ERR wrong number of arguments for '" + name + "' command");
    }

    void unknownSubcommand(String command) {
        error("ERR unknown subcommand '" + text(1, 128) + "'. Try " + command + " HELP.");
    }

    /** Redis 7.0's text: the name cut at 128 bytes, then each argument quoted while the list is under 128 bytes. */
    void unknown() {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < argc && args.length() < 128; i++) {
            String arg = text(i, 128 - args.length());
            args.append('\'').append(arg).append("' ");
        }
        error("ERR unknown command '" + text(0, 128) + "', with args beginning with: " + args);
    }
}
