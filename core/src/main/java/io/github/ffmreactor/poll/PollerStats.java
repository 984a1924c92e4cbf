package io.github.ffmreactor.poll;

/**
 * Poller counters.
 *
 * @param waits        calls into the kernel's wait (epoll_wait, kevent, poll, select)
 * @param events       events reported to the caller (wakeups excluded)
 * @param interrupted  waits that returned EINTR and were retried
 * @param wakeupsSent  wakeup signals actually written (eventfd writes, EVFILT_USER triggers...)
 * @param ctlCalls     registration changes sent to the kernel (epoll_ctl, kevent changes)
 */
public record PollerStats(long waits, long events, long interrupted, long wakeupsSent, long ctlCalls) {}
