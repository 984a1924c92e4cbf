/**
 * ffmreactor: a readiness reactor over the kernel's own event APIs, through the FFM API.
 *
 * <p>The API is {@code io.github.ffmreactor.loop} (the event loop, connections, handlers,
 * options, timers, groups) with {@code io.github.ffmreactor} ({@link io.github.ffmreactor.Trigger}
 * and {@link io.github.ffmreactor.NativeException}). The bindings ({@code sys}), the backends
 * ({@code poll}), the socket helpers ({@code net}) and the command-line servers ({@code cli}) are
 * not exported: no code outside this module gets a native handle through it.
 */
module io.github.ffmreactor.core {
    exports io.github.ffmreactor;
    exports io.github.ffmreactor.loop;
}
