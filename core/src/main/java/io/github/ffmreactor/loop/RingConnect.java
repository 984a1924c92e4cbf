package io.github.ffmreactor.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A connect on io_uring: the sockaddr its IORING_OP_CONNECT reads, which lives until that completion. */
final class RingConnect extends RingState {
    private Arena arena;
    MemorySegment sockaddr;
    final int sockaddrLen;

    RingConnect(Connector k, Arena arena, MemorySegment sockaddr, int sockaddrLen) {
        super(k);
        this.arena = arena;
        this.sockaddr = sockaddr;
        this.sockaddrLen = sockaddrLen;
    }

    /** Frees the sockaddr: only once no CONNECT that reads it can be in flight. */
    void freeAddress() {
        if (arena == null) return;
        sockaddr = null;
        arena.close();
        arena = null;
    }
}
