package io.github.ffmreactor.cli;

import io.github.ffmreactor.sys.Errno;

import io.github.ffmreactor.loop.Connection;
import io.github.ffmreactor.loop.Backend;
import io.github.ffmreactor.loop.EventLoop;
import io.github.ffmreactor.loop.Handler;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * An interactive line client: what arrives from the server goes to stdout, what is typed goes to
 * the server. End of input (Ctrl-D) half-closes the connection; the client exits when the server
 * closes its side. Built on {@link EventLoop#connect}: the loop runs on its own thread, and a
 * plain thread reads stdin (a terminal cannot be polled on every OS) and hands each chunk over.
 */
public final class LineClient {
    private LineClient() {}

    static final Set<String> OPTIONS = Set.of("host", "port", "backend", "timeout-ms");

    /**
     * Stdin is read no further while this many of its bytes wait to go out: a server that reads
     * slower than stdin fills would otherwise see its connection closed by the loop's
     * {@code closeAbove} ("the peer is not reading") as if it had stopped reading.
     */
    static final long STDIN_BACKLOG = 1 << 20;
    static final String USAGE = "--host 127.0.0.1 --port PORT --timeout-ms 5000 --backend auto|...";

    /**
     * Connects to {@code address}, copies {@code in} to the server and the server to {@code out},
     * and returns 0 once the server has closed the connection, or 1 (with the reason on
     * {@code err}) if the connection could not be made or failed.
     */
    public static int run(InetSocketAddress address, Duration timeout, Backend backend, InputStream in,
                          PrintStream out, PrintStream err) throws Exception {
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        ToStdout toStdout = new ToStdout(out, closed);
        try (EventLoop loop = EventLoop.open(LoopOptions.defaults().withBackend(backend))) {
            loop.start("ffmreactor-client");
            Connection c;
            try {
                c = loop.connect(address, Trigger.LEVEL, toStdout, timeout).get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                err.println("ffmreactor client: " + e.getCause().getMessage());
                return 1;
            }
            Thread reader = Thread.ofPlatform().daemon().name("ffmreactor-client-stdin").start(() -> pump(in, loop, c, toStdout));
            Throwable cause = closed.get();
            reader.interrupt();
            if (cause != null) {
                err.println("ffmreactor client: connection failed: " + cause.getMessage());
                return 1;
            }
            if (toStdout.stdoutFailed) {
                err.println("ffmreactor client: stdout is closed (or failed): stopped");
                return 1;
            }
            return 0;
        }
    }

    /** Server to stdout; and, once stdin has ended, a half-close when the queued input has gone out. */
    private static final class ToStdout implements Handler {
        final PrintStream out;
        final CompletableFuture<Throwable> closed;
        boolean stdinEnded;
        /** What the server sent could not be written out (the reader of a pipe has gone): the client stops. */
        volatile boolean stdoutFailed;
        // Stdin bytes on their way (guarded by this): in write tasks not yet run, and queued by the connection.
        private long inTasks;
        private long queued;

        ToStdout(PrintStream out, CompletableFuture<Throwable> closed) {
            this.out = out;
            this.closed = closed;
        }

        @Override
        public void onData(Connection c, MemorySegment buf, int len) {
            out.write(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), 0, len);
            out.flush();
            // A PrintStream keeps no exception: without this, `client | head -1` would run on for ever.
            if (out.checkError()) {
                stdoutFailed = true;
                c.close();
            }
        }

        @Override
        public void onInputClosed(Connection c) {
            // The server is done: nothing more will come, so stop (dropping unsent input).
            c.close();
        }

        @Override
        public void onDrained(Connection c) {
            drained();
            if (stdinEnded) shutdownQuietly(c);
        }

        @Override
        public void onClose(Connection c, Throwable cause) {
            // A server that closed first answers the stdin still being written with EPIPE or a
            // reset, depending on which the kernel saw first: either way the server is done.
            boolean serverGone = cause instanceof NativeException e
                    && (e.errno() == Errno.EPIPE || e.errno() == Errno.ECONNRESET);
            closed.complete(serverGone ? null : cause);
            gone();
        }

        /** On the stdin thread: waits until fewer than {@link #STDIN_BACKLOG} bytes wait (or the connection is gone), then counts {@code n} more. */
        synchronized void reserve(int n) throws InterruptedException {
            while (inTasks + queued >= STDIN_BACKLOG && !closed.isDone()) wait();
            inTasks += n;
        }

        /** On the loop: a task's {@code n} bytes went to the connection, which now queues {@code pending}. */
        synchronized void written(int n, long pending) {
            inTasks -= n;
            queued = pending;
            notifyAll();
        }

        private synchronized void drained() {
            queued = 0;
            notifyAll();
        }

        private synchronized void gone() {
            notifyAll();
        }
    }

    /**
     * Copies {@code in} to the connection, chunk by chunk, on the loop thread; half-closes at EOF.
     * Reads no further while {@link #STDIN_BACKLOG} bytes wait to go out, and stops once the loop
     * has ended (the server closed the connection while input was still coming).
     */
    private static void pump(InputStream in, EventLoop loop, Connection c, ToStdout h) {
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) > 0; ) {
                h.reserve(n);
                if (h.closed.isDone()) return;
                byte[] chunk = Arrays.copyOf(b, n);
                loop.execute(() -> {
                    // What the kernel cannot take now is copied and queued.
                    if (c.isOpen()) c.write(chunk, 0, chunk.length);
                    h.written(chunk.length, c.isOpen() ? c.pendingOutput() : 0);
                });
            }
        } catch (IOException ignored) {
            // stdin failed: treat it as its end.
        } catch (InterruptedException | RejectedExecutionException e) {
            return; // the client is ending: the connection is closed and the loop gone or going
        }
        try {
            loop.execute(() -> {
                h.stdinEnded = true;
                if (c.isOpen() && c.pendingOutput() == 0) shutdownQuietly(c);
            });
        } catch (RejectedExecutionException ignored) {
            // The server closed first and the client has ended: nothing left to half-close.
        }
    }

    private static void shutdownQuietly(Connection c) {
        try {
            c.shutdownOutput();
        } catch (NativeException ignored) {
            // Already closed by the peer: nothing to half-close.
        }
    }

    static int main(Args a, PrintStream out, PrintStream err) throws Exception {
        int port = a.intValue("port", -1, 1, 65535);
        if (port < 0) throw new Args.BadArgs("--port is required");
        Duration timeout = Duration.ofMillis(a.intValue("timeout-ms", 5000, 1, Integer.MAX_VALUE));
        return run(Serve.address(a), timeout, Serve.backend(a), System.in, out, err);
    }
}
