package io.github.ffmreactor.loop;

/**
 * What the io_uring engine knows of one channel: its requests in flight and the queues it is on.
 * A connection's is its {@link RingStream}; a listener's or a connect's is one of these (or a
 * {@link RingConnect}). The engine finds it by slot until the channel's last completion is back.
 */
class RingState {
    final Channel channel;
    /** Requests of this channel the kernel has not completed yet, cancelled ones included. */
    int ops;
    /** A receive / accept is in flight. */
    boolean armed;
    /** Queued to be armed, or to be cancelled, at the engine's next prepare. */
    boolean armListed, cancelListed;
    /** The fd of a closed channel whose requests are still in flight: closed at the last completion. */
    int closedFd = -1;

    RingState(Channel channel) {
        this.channel = channel;
    }
}
