package io.github.ffmreactor.loop;

import java.lang.foreign.MemorySegment;

/** What a datagram socket does with what it receives. Runs on the loop thread. */
@FunctionalInterface
public interface DatagramHandler {
    /**
     * One datagram arrived: {@code buf[0, len)} from {@code from}. Both are reused for the next
     * datagram: copy what must outlive the call ({@link Endpoint#copyFrom} for the sender). Reply
     * with {@code ch.sendTo(buf, 0, len, from)}.
     */
    void onDatagram(Datagram ch, MemorySegment buf, int len, Endpoint from);

    /**
     * A datagram longer than {@link DatagramOptions#maxDatagram()} arrived: its first {@code kept}
     * bytes are in {@code buf}, the rest is lost. {@code length} is its real length where the OS
     * says it (Linux), otherwise -1. It is counted in {@link Datagram#truncated()}; by default
     * nothing else happens (a cut datagram is never passed off as a whole one).
     */
    default void onTruncated(Datagram ch, MemorySegment buf, int kept, int length, Endpoint from) {}

    /** The socket closed; {@code cause} is null for an orderly close. */
    default void onClose(Datagram ch, Throwable cause) {}
}
