package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.sys.Errno;
import io.github.ffmreactor.sys.Faults;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --backend io_uring} where the kernel or a sandbox refuses io_uring: the reason, and exit 2. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UringBackendExitTest {
    @AfterEach
    void clear() {
        Faults.clear();
    }

    @Test
    void serverExitsWithTheReasonWhenIoUringIsRefused() throws Exception {
        Faults.fail(Faults.Call.RING_SETUP, Faults.ANY_FD, 0, Errno.ENOSYS, 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"echo", "--port", "0", "--backend", "io_uring"},
                new PrintStream(out), new PrintStream(err));
        assertEquals(2, rc);
        String msg = err.toString();
        assertTrue(msg.contains("io_uring") && msg.contains("ENOSYS") && msg.contains("seccomp"), msg);
    }

    /** UDP stays on epoll: the UDP servers refuse io_uring with the reason and exit 2, opening nothing. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"udp-echo", "udp-chat"})
    void udpServersRefuseIoUringWithTheReason(String command) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.ffmreactor.testutil.Backends.uring(), "io_uring unavailable here");
        int before = io.github.ffmreactor.testutil.FdCount.now();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {command, "--port", "0", "--backend", "io_uring"},
                new PrintStream(out), new PrintStream(err));
        assertEquals(2, rc, out + " / " + err);
        String msg = err.toString();
        assertTrue(msg.startsWith("ffmreactor " + command + ": openDatagram: UDP sockets are not supported on the io_uring backend")
                && msg.contains("--backend epoll"), msg);
        assertTrue(!out.toString().contains("listening"), out.toString());
        io.github.ffmreactor.testutil.FdCount.assertBackTo(before);
    }
}
