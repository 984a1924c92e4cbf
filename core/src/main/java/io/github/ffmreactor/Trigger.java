package io.github.ffmreactor;

/** When a registration reports readiness. */
public enum Trigger {
    /** Reported at every poll while the condition holds (epoll's default, poll, select). */
    LEVEL,
    /** Reported when the condition becomes true (EPOLLET, EV_CLEAR); the reader must drain to EAGAIN. */
    EDGE,
    /** Reported once, then disarmed until re-armed; the loop re-arms after handling each event (EPOLLONESHOT, EV_ONESHOT). */
    ONESHOT
}
