package io.github.ffmreactor.loop;

import java.util.Arrays;

/**
 * The loop's channel table. A token is a {@code long}: the slot index in the low 32 bits and the
 * slot's generation in the high 32. Events index the table with no map lookup and no boxing, and
 * an event for a channel closed earlier in the same batch is recognised by its old generation,
 * even when the kernel has already handed its fd number to a new channel. Loop thread only.
 *
 * <p>A slot can also be <em>retired</em>: closed but not yet released (a completion engine's
 * channel whose receives and sends the kernel has not all returned yet, cancelled ones included).
 * A retired slot delivers nothing ({@link #lookup} says stale), is not reused, and its channel is
 * still found by {@link #retired} for the engine's bookkeeping until {@link #free}.
 */
final class Slots {
    private Channel[] channels = new Channel[64];
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private Channel[] retired = new Channel[64];
    private int freeCount;
    private int used;
    /** Slots an engine can name ({@link #limit}); past it a new channel is refused. */
    private int limit = Integer.MAX_VALUE;
    private String engine = "";

    long token(Channel c) {
        return ((long) generations[c.slot] << 32) | c.slot;
    }

    /** The live channel a token names, or null when its slot was freed since (a stale event). */
    Channel lookup(long token) {
        int s = (int) token;
        Channel[] t = channels;
        if (s < 0 || s >= t.length) return null;
        Channel c = t[s];
        return c != null && generations[s] == (int) (token >>> 32) ? c : null;
    }

    /** At most {@code max} slots: the engine's token has no room for more ({@code engine} names it in the refusal). */
    void limit(int max, String engine) {
        this.limit = max;
        this.engine = engine;
    }

    /** Gives {@code c} a slot; past the engine's limit an {@link IllegalArgumentException} says so. */
    void allocate(Channel c) {
        int s;
        if (freeCount > 0) {
            s = free[--freeCount];
        } else {
            if (used == limit) {
                throw new IllegalArgumentException(engine + ": no slot for another channel: the loop holds "
                        + limit + " at once, all its requests' user_data can name");
            }
            if (used == channels.length) {
                int n = channels.length * 2;
                channels = Arrays.copyOf(channels, n);
                generations = Arrays.copyOf(generations, n);
                free = Arrays.copyOf(free, n);
                retired = Arrays.copyOf(retired, n);
            }
            s = used++;
        }
        channels[s] = c;
        c.slot = s;
    }

    /** Closed, not yet released: events for the token are stale, the slot is kept until {@link #free}. */
    void retire(Channel c) {
        int s = c.slot;
        if (s < 0 || channels[s] != c) return;
        channels[s] = null;
        retired[s] = c;
    }

    /** The retired channel a token names (a completion arriving after close), or null. */
    Channel retired(long token) {
        int s = (int) token;
        if (s < 0 || s >= retired.length) return null;
        Channel c = retired[s];
        return c != null && generations[s] == (int) (token >>> 32) ? c : null;
    }

    /** Frees the channel's slot (live or retired) under a new generation, so old tokens no longer match. */
    void free(Channel c) {
        int s = c.slot;
        if (s < 0 || (channels[s] != c && retired[s] != c)) return;
        channels[s] = null;
        retired[s] = null;
        // 31 bits, so a token is never the poller's reserved Long.MIN_VALUE.
        generations[s] = (generations[s] + 1) & 0x7fffffff;
        free[freeCount++] = s;
        c.slot = -1;
    }

    /** A copy of the live channels, for closing them all. */
    Channel[] snapshot() {
        return Arrays.stream(channels, 0, used).filter(c -> c != null).toArray(Channel[]::new);
    }

    /** The retired channels (closed, not yet released), in a new array. */
    Channel[] retiredSnapshot() {
        return Arrays.stream(retired, 0, used).filter(c -> c != null).toArray(Channel[]::new);
    }
}
