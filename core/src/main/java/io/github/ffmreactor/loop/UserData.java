package io.github.ffmreactor.loop;

/**
 * The io_uring {@code user_data} of a request: the channel's slot token ({@code Slots}: the
 * generation in bits 32-62, the slot in the low bits) with the request's kind in bits 28-31. So a
 * slot must stay below 2^28: {@link #MAX_SLOTS}, the limit the registry enforces on an io_uring
 * loop. A completion names its channel and its kind with no lookup but the slot table's.
 */
final class UserData {
    private UserData() {}

    static final int RECV = 1, SEND = 2, ACCEPT = 3, CANCEL = 4, WAKE = 5, CONNECT = 6;
    private static final int SHIFT = 28;
    private static final long KIND_MASK = 0xFL << SHIFT;
    /** Slots a user_data can name beside the kind. */
    static final int MAX_SLOTS = 1 << SHIFT;

    static long of(long token, int kind) {
        return token | ((long) kind << SHIFT);
    }

    static int kind(long userData) {
        return (int) ((userData & KIND_MASK) >>> SHIFT);
    }

    static long token(long userData) {
        return userData & ~KIND_MASK;
    }
}
