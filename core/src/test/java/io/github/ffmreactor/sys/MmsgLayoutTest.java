package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * struct mmsghdr, msghdr, iovec, cmsghdr on 64-bit Linux, and the constants recvmmsg/sendmmsg
 * need (native-notes/udp.md): pinned here, and checked against the C headers where gcc exists.
 */
@Timeout(60)
class MmsgLayoutTest {
    @Test
    void layoutsAreThoseOf64BitLinux() {
        assertEquals(16, Mmsg.IOVEC.byteSize());
        assertEquals(56, Mmsg.MSGHDR.byteSize());
        assertEquals(64, Mmsg.MMSGHDR.byteSize());
        assertEquals(16, Mmsg.CMSGHDR.byteSize());
        assertEquals(0, Mmsg.IOV_BASE);
        assertEquals(8, Mmsg.IOV_LEN);
        assertEquals(0, Mmsg.MSG_NAME);
        assertEquals(8, Mmsg.MSG_NAMELEN);
        assertEquals(16, Mmsg.MSG_IOV);
        assertEquals(24, Mmsg.MSG_IOVLEN);
        assertEquals(32, Mmsg.MSG_CONTROL);
        assertEquals(40, Mmsg.MSG_CONTROLLEN);
        assertEquals(48, Mmsg.MSG_FLAGS);
        assertEquals(56, Mmsg.MSG_LEN);
        assertEquals(0, Mmsg.CMSG_LEN);
        assertEquals(8, Mmsg.CMSG_LEVEL);
        assertEquals(12, Mmsg.CMSG_TYPE);
        assertEquals(16, Mmsg.CMSG_DATA);
        assertEquals(24, Mmsg.cmsgSpace(4));
    }

    @Test
    void constantsMatchTheLinuxHeaders() {
        assertEquals(0x20, Mmsg.MSG_TRUNC);
        assertEquals(40, Mmsg.SO_RXQ_OVFL);
        assertEquals(33, Mmsg.SO_RCVBUFFORCE);
        assertEquals(Platform.CURRENT == Platform.LINUX && java.lang.foreign.ValueLayout.ADDRESS.byteSize() == 8,
                Mmsg.available());
    }

    /** The same numbers from the C compiler, where there is one. */
    @Test
    void theCHeadersAgree(@TempDir Path dir) throws Exception {
        assumeTrue(Platform.CURRENT == Platform.LINUX, "Linux headers");
        String gcc = null;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, "gcc"))) gcc = Path.of(d, "gcc").toString();
        }
        assumeTrue(gcc != null, "no gcc on PATH");
        Path c = dir.resolve("mmsg.c");
        Files.writeString(c, """
                #define _GNU_SOURCE
                #include <stddef.h>
                #include <stdio.h>
                #include <sys/socket.h>
                #include <sys/uio.h>
                #define P(n, v) printf("%s %ld\\n", n, (long) (v))
                int main(void) {
                    P("iovec", sizeof(struct iovec)); P("msghdr", sizeof(struct msghdr));
                    P("mmsghdr", sizeof(struct mmsghdr)); P("cmsghdr", sizeof(struct cmsghdr));
                    P("msg_namelen", offsetof(struct msghdr, msg_namelen)); P("msg_iov", offsetof(struct msghdr, msg_iov));
                    P("msg_iovlen", offsetof(struct msghdr, msg_iovlen)); P("msg_control", offsetof(struct msghdr, msg_control));
                    P("msg_controllen", offsetof(struct msghdr, msg_controllen)); P("msg_flags", offsetof(struct msghdr, msg_flags));
                    P("msg_len", offsetof(struct mmsghdr, msg_len)); P("cmsg_space4", CMSG_SPACE(4));
                    P("cmsg_data", CMSG_LEN(0)); P("MSG_TRUNC", MSG_TRUNC); P("SO_RXQ_OVFL", SO_RXQ_OVFL);
                    P("SO_RCVBUFFORCE", SO_RCVBUFFORCE);
                    return 0;
                }
                """);
        Path bin = dir.resolve("mmsg");
        Process p = new ProcessBuilder(gcc, "-o", bin.toString(), c.toString()).redirectErrorStream(true).start();
        String err = new String(p.getInputStream().readAllBytes());
        assertEquals(true, p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        Process run = new ProcessBuilder(bin.toString()).start();
        Map<String, Long> v = new HashMap<>();
        for (String line : new String(run.getInputStream().readAllBytes()).split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) v.put(f[0], Long.parseLong(f[1]));
        }
        assertEquals(true, run.waitFor(10, TimeUnit.SECONDS));
        assertEquals(Mmsg.IOVEC.byteSize(), v.get("iovec"));
        assertEquals(Mmsg.MSGHDR.byteSize(), v.get("msghdr"));
        assertEquals(Mmsg.MMSGHDR.byteSize(), v.get("mmsghdr"));
        assertEquals(Mmsg.CMSGHDR.byteSize(), v.get("cmsghdr"));
        assertEquals(Mmsg.MSG_NAMELEN, v.get("msg_namelen"));
        assertEquals(Mmsg.MSG_IOV, v.get("msg_iov"));
        assertEquals(Mmsg.MSG_IOVLEN, v.get("msg_iovlen"));
        assertEquals(Mmsg.MSG_CONTROL, v.get("msg_control"));
        assertEquals(Mmsg.MSG_CONTROLLEN, v.get("msg_controllen"));
        assertEquals(Mmsg.MSG_FLAGS, v.get("msg_flags"));
        assertEquals(Mmsg.MSG_LEN, v.get("msg_len"));
        assertEquals(Mmsg.cmsgSpace(4), v.get("cmsg_space4"));
        assertEquals(Mmsg.CMSG_DATA, v.get("cmsg_data"));
        assertEquals(Mmsg.MSG_TRUNC, v.get("MSG_TRUNC"));
        assertEquals(Mmsg.SO_RXQ_OVFL, v.get("SO_RXQ_OVFL"));
        assertEquals(Mmsg.SO_RCVBUFFORCE, v.get("SO_RCVBUFFORCE"));
    }
}
