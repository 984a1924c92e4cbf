/**
 * The readiness backends. {@link io.github.ffmreactor.poll.Poller} is the one small interface
 * (register an fd with an interest, a trigger and a token; wait into a reusable events buffer;
 * wake up; close), and each kernel API has one short file that only translates it: epoll, kqueue,
 * poll, select and Winsock select. What they all need alike (counters, the EINTR retry, a wakeup
 * safe from any thread, a close that happens once) lives in {@link io.github.ffmreactor.poll.BasePoller};
 * {@link io.github.ffmreactor.poll.Pollers} picks the best one the OS has. A backend states what
 * it can do ({@link io.github.ffmreactor.poll.Capabilities}) and refuses the rest at registration.
 *
 * <p>Not exported: users get channels the loop owns, never fds and interest bits. io_uring, a
 * completion API, is not a backend here: the loop drives it through its own engine.
 */
package io.github.ffmreactor.poll;
