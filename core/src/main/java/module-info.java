/**
 * ffmreactor: an event reactor over the kernel's own I/O APIs, through the FFM API: the readiness
 * APIs (epoll, kqueue, poll, select) and the completion API (io_uring), under one handler API.
 *
 * <p>The API is {@code io.github.ffmreactor.loop} (the event loop, connections, handlers,
 * options, timers, groups) with {@code io.github.ffmreactor} ({@link io.github.ffmreactor.Trigger}
 * and {@link io.github.ffmreactor.NativeException}). The bindings ({@code sys}), the backends
 * ({@code poll}), the socket helpers ({@code net}) and the command-line servers ({@code cli}) are
 * not exported: no code outside this module gets a native handle through it.
 *
 * <p>The poller (register an fd with interest bits, wait for events: mio's {@code Poll}) stays
 * internal, so the API has no interest type: a public fd-level API would hand raw fds and native
 * calls past the JVM's native-access gate and freeze the backends' internals, and every use it
 * would serve is covered by the loop's own channels. See {@link io.github.ffmreactor.loop}.
 */
module io.github.ffmreactor.core {
    exports io.github.ffmreactor;
    exports io.github.ffmreactor.loop;
}
