package io.github.ffmreactor.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.testutil.Backends;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.NoFdLeaks;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A peer that asks, half-closes, and then reads a reply far larger than the socket buffers: every
 * byte must arrive, then end of stream. Under edge triggering the peer's half-close (EPOLLRDHUP,
 * EV_EOF) stays set in every later event of the fd, so each writable edge also says "hang-up"; it
 * must not be taken for the peer being gone while output is still queued.
 */
@Timeout(120)
@ExtendWith(NoFdLeaks.class)
class HalfCloseLargeReplyTest {
    static final int REPLY = 8 << 20;

    static List<Arguments> everyTrigger() {
        List<Arguments> r = new ArrayList<>();
        for (String b : Poller.available()) {
            try (Poller p = Poller.open(b)) {
                for (Trigger t : Trigger.values()) {
                    if (p.capabilities().supports(t)) r.add(Arguments.of(b, t));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (Backends.uring()) r.add(Arguments.of("io_uring", Trigger.LEVEL));
        return r;
    }

    /** Replies to the peer's end of input with REPLY bytes (byte i is i % 251), then closes after the flush. */
    static final class ReplyOnEof implements Handler {
        @Override
        public void onData(Connection c, MemorySegment buf, int len) {}

        @Override
        public void onInputClosed(Connection c) {
            byte[] chunk = new byte[251 * 256];
            for (int i = 0; i < chunk.length; i++) chunk[i] = (byte) (i % 251);
            for (int sent = 0; sent < REPLY; sent += chunk.length) {
                if (!c.write(chunk, 0, Math.min(chunk.length, REPLY - sent))) return;
            }
            c.closeAfterFlush();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyTrigger")
    void everyByteOfALargeReplyAfterTheRequestersHalfClose(String backend, Trigger trigger) throws Exception {
        LoopOptions o = LoopOptions.defaults().withBackend(Backend.parse(backend)).withLimits(64 << 10, 32 << 20);
        try (LoopRunner r = new LoopRunner(o, trigger, ReplyOnEof::new);
             Socket s = new Socket()) {
            s.setReceiveBufferSize(16 << 10); // a slow reader: the reply waits in the server's queue
            s.connect(r.address());
            s.getOutputStream().write('?');
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            long got = 0;
            boolean inOrder = true;
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n && inOrder; i++) inOrder = buf[i] == (byte) ((got + i) % 251);
                got += n;
            }
            assertEquals(REPLY, got, "every byte of the reply before end of stream");
            assertTrue(inOrder, "the reply's bytes in order");
            r.awaitNoConnections();
            assertTrue(r.errors.isEmpty(), r.errors.toString());
        }
    }
}
