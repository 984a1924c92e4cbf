package io.github.ffmreactor.kv;

/**
 * A row of the command table, as in Redis's {@code commands.def}: the name, the arity (n: exactly
 * n arguments counting the name; -n: at least n), flags, and the code that runs it.
 */
record Command(String name, int arity, int flags, Run run) {
    /** Runs under the store's lock: it reads or writes keys. */
    static final int STORE = 1;
    /** Runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD, WATCH). */
    static final int TX_CONTROL = 2;
    /** Not allowed inside MULTI (answered with an error that aborts the transaction). */
    static final int NO_MULTI = 4;

    /** The code of a command. */
    @FunctionalInterface
    interface Run {
        void run(Call c);
    }

    boolean arityFits(int argc) {
        return arity >= 0 ? argc == arity : argc >= -arity;
    }
}
