/**
 * The types the whole library shares: {@link io.github.ffmreactor.Trigger} (level, edge or
 * one-shot readiness, chosen per listener or connection) and
 * {@link io.github.ffmreactor.NativeException} (a native call failed: the message names the call
 * and the errno, e.g. {@code accept4: EMFILE (Too many open files)}).
 *
 * <p>The event loop, its connections and handlers are in {@link io.github.ffmreactor.loop}; start
 * there. A five-line echo server:
 * {@snippet file=io/github/ffmreactor/examples/QuickStart.java region=echo}
 *
 * <p>Threading: these types are immutable and safe anywhere. Failure model: a
 * {@code NativeException} is an {@link java.io.IOException}; the loop turns one on a channel into
 * that channel's close, reported once, and only a failing poller ends a loop.
 */
package io.github.ffmreactor;
