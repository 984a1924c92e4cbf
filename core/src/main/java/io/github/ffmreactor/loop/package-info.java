/**
 * The event loop and what runs on it: {@link io.github.ffmreactor.loop.EventLoop} (one thread's
 * reactor), {@link io.github.ffmreactor.loop.Connection} and
 * {@link io.github.ffmreactor.loop.Datagram} (the channels), {@link io.github.ffmreactor.loop.Handler}
 * and the framing handlers, {@link io.github.ffmreactor.loop.LoopOptions} with
 * {@link io.github.ffmreactor.loop.Backend}, {@link io.github.ffmreactor.loop.Timer},
 * {@link io.github.ffmreactor.loop.LoopGroup} (many cores) and
 * {@link io.github.ffmreactor.loop.LoopStats}.
 *
 * <h2>A handler in five minutes</h2>
 * A {@link io.github.ffmreactor.loop.Handler} gets each connection's bytes; the loop is given a
 * supplier of them (one handler per connection) and serves a port:
 * {@snippet file=io/github/ffmreactor/examples/QuickStart.java region=echo}
 * Run it with {@code --enable-native-access=io.github.ffmreactor.core} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path); connect with {@code nc 127.0.0.1 PORT}.
 * Settings go through a builder, which checks them all and names a bad one:
 * {@snippet file=io/github/ffmreactor/examples/QuickStart.java region=options}
 * Per-connection state is an attachment, read back with its type:
 * {@snippet file=io/github/ffmreactor/examples/QuickStart.java region=attachment}
 * The loop's counters, from any thread:
 * {@snippet file=io/github/ffmreactor/examples/QuickStart.java region=stats}
 * These examples are compiled and run by the build ({@code QuickStartTest}).
 *
 * <h2>Threading</h2>
 * Everything that touches a connection, a datagram socket or a handler runs on the loop's one
 * thread, so handler state needs no locks. From other threads use
 * {@link io.github.ffmreactor.loop.EventLoop#execute(Runnable)} (tasks run on the loop, in order),
 * {@link io.github.ffmreactor.loop.EventLoop#schedule schedule}, {@code wakeup},
 * {@code stats}, {@code shutdown} and {@code awaitTermination}. The buffer a handler receives is the
 * loop's shared read buffer: valid only during the call.
 *
 * <h2>Failures</h2>
 * A handler that throws, an unexpected errno or a registration the poller refuses closes that one
 * channel, is reported once to {@link io.github.ffmreactor.loop.EventLoop#onError onError} and
 * counted in {@link io.github.ffmreactor.loop.LoopStats#failures()}; the loop goes on. Only the
 * poller itself failing ends the loop, and {@code terminationCause()} says why. Native failures are
 * {@link io.github.ffmreactor.NativeException}s naming the call and the errno; EAGAIN is never one.
 *
 * <h2>No low-level poller</h2>
 * The readiness layer under the loop (register an fd with interest bits, wait, get events: what
 * mio's {@code Poll} is) is deliberately not part of the API, so there is no public interest type.
 * An fd-level API would hand out raw fds and native calls that the JVM's native-access rules are
 * meant to gate, and would freeze the backends' internals (the io_uring engine is not a readiness
 * poller at all). Everything it would serve goes through channels the loop owns.
 */
package io.github.ffmreactor.loop;
