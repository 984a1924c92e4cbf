package io.github.ffmreactor.loop;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.poll.Capabilities;
import io.github.ffmreactor.poll.PollerStats;

/**
 * How a loop's turn gets I/O done: prepare work, wait with a timeout, deliver what completed; and
 * how a channel is put on the loop and taken off it. The turn ({@link EventLoop}), the runner and
 * the channels know only this; none asks which engine it runs on. One engine per loop
 * (monomorphic in practice), loop thread only, except {@link #wakeup}.
 *
 * <p>Two engines keep it: {@link ReadinessEngine} (epoll, kqueue, poll, select through a
 * {@code Poller}) is told "this fd is readable" and then calls read(2); {@link UringEngine}
 * (io_uring) hands the kernel the receive and the send and is told when they are done. The
 * contract, so that handlers ({@link Handler}, {@link FrameHandler}, {@link DatagramHandler})
 * never change:
 *
 * <ul>
 *   <li><b>Input.</b> The engine delivers input to a connection: bytes in a buffer that is valid
 *       only for the {@code onData} call, end of input, or an errno. How the bytes were obtained
 *       (read(2) after readiness, or a completed receive into a ring-provided buffer) is the
 *       engine's business. Errors arrive as {@code -errno}; a completion carries its errno, so no
 *       errno capture happens on that path. The entry points are {@code Connection.deliver(buf,
 *       len)}, {@code Connection.endOfInput()} and {@code Connection.ioError(call, errno)}.
 *   <li><b>Output.</b> Each connection has an {@link EngineStream} the engine supplies
 *       ({@link #stream}), the one place its output is written: a readiness engine writes now and
 *       queues (copies) the rest; a completion engine copies into the connection's chunks and
 *       submits at {@link #prepare}, the end of the turn. {@code write} keeps its meaning either
 *       way: the bytes are the connection's once it returns true; {@code onDrained} runs when the
 *       queue is empty.
 *   <li><b>Registration.</b> {@link #attach} watches a channel that has a slot, {@link #interest}
 *       changes what it wants (readiness: a {@code Poller.modify}; io_uring: arm or cancel its
 *       receive or accept), {@link #release} closes it, {@link #detach} hands its fd on.
 *   <li><b>Closing is a request.</b> The channel stops delivering to its handler at once
 *       ({@code onClose} runs once), but the engine says when the fd and the slot may be
 *       released: a readiness engine at once; a completion engine only after the kernel has
 *       returned its last completion for them, cancelled ones included, because until then the
 *       kernel may still write into the connection's buffers. Slots therefore have a state
 *       "closed but not yet released" ({@code Slots.retire}, then {@code Slots.free}), and a
 *       token the engine sees for a closed slot is stale, never another channel's.
 *   <li><b>Accept and connect</b> likewise: a readiness engine calls accept(2) / finishes a
 *       non-blocking connect(2) when told; a completion engine keeps a multishot accept or an
 *       IORING_OP_CONNECT in flight and delivers each accepted fd / the connect's result.
 *   <li><b>Waiting.</b> {@link #await} with timeout 0 never sleeps; with a timeout it may sleep
 *       until I/O, the timeout or {@link #wakeup}, which any thread may call.
 *   <li><b>Hot path.</b> No allocation per message; the same syscalls per round trip as calling
 *       the kernel by hand (readiness: one read, one write and a share of one wait).
 * </ul>
 */
interface Engine {
    /** The backend's name ({@code epoll}, {@code io_uring}...). */
    String name();

    /** What it can do: triggers, and the highest fd it can watch. */
    Capabilities capabilities();

    /** Channels a loop on this engine can hold at once (the slots its tokens can name). */
    default int maxSlots() {
        return Integer.MAX_VALUE;
    }

    /** Why this engine serves no UDP sockets, or null when it does. */
    String datagramRefusal();

    /** The connection's stream: its I/O as this engine does it. */
    EngineStream stream(Connection c);

    /** Watches {@code c} (which has a slot and an open fd) for {@code interest}. */
    void attach(Channel c, int interest) throws NativeException;

    /** {@code c} now wants {@code interest} (0: nothing, e.g. a paused listener). */
    void interest(Channel c, int interest) throws NativeException;

    /**
     * Starts connect {@code k} to {@code target}: opens its socket (which {@code k} then owns) and
     * attaches it through the registry; the result comes to {@code Connector.completed}.
     */
    void connect(Connector k, Connector.Target target) throws NativeException;

    /** Stops watching {@code fd} (its channel's, which has nothing in flight): the fd stays open for a new owner. */
    void detach(Channel c, int fd);

    /** Closes {@code c}'s fd and frees its slot: now, or once the kernel is done with them. */
    void release(Channel c);

    /**
     * Before the wait: submit what the turn queued (a completion engine's sends); readiness: write
     * the connections that deferred their flush (if a handler answered one with more output, the
     * {@link #await} that follows does not sleep).
     */
    void prepare() throws NativeException;

    /**
     * Waits for I/O: 0 never sleeps, negative until something happens, else at most that many
     * milliseconds. Returns how many events/completions are ready for {@link #deliver}.
     */
    int await(int timeoutMillis) throws NativeException;

    /**
     * Delivers the {@code ready} results of the last wait to their channels, then whatever was
     * carried over from the last turn for fairness. Failures are contained per channel. Returns
     * the work done (for the wait strategy).
     */
    int deliver(int ready);

    /** Work carried to the next turn (reads): the next wait must not sleep. */
    boolean hasCarried();

    /** Ends a wait in progress (or the next one). Any thread. */
    void wakeup();

    PollerStats stats();

    void close();
}
