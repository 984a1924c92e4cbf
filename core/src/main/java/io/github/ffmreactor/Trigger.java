package io.github.ffmreactor;

/** When a registration reports readiness. */
public enum Trigger {
    /** Reported at every poll while the condition holds (epoll's default, poll, select). */
    LEVEL,
    /** Reported when the condition becomes true (EPOLLET, EV_CLEAR); the reader must drain to EAGAIN. */
    EDGE,
    /** Reported once, then disarmed until {@link Poller#modify} re-arms it (EPOLLONESHOT, EV_ONESHOT). */
    ONESHOT
}
