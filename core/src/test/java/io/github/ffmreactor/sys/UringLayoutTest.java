package io.github.ffmreactor.sys;

import static io.github.ffmreactor.sys.IoUring.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The io_uring UAPI structs and constants, pinned to the numbers of the kernel headers
 * (/usr/include/linux/io_uring.h, linux/time_types.h; offsetof/sizeof checked with a C program),
 * not to the layouts themselves.
 */
class UringLayoutTest {
    @Test
    void sqe() {
        assertEquals(64, SQE.byteSize());
        assertEquals(0, off(SQE, "opcode"));
        assertEquals(1, off(SQE, "flags"));
        assertEquals(2, off(SQE, "ioprio"));
        assertEquals(4, off(SQE, "fd"));
        assertEquals(8, off(SQE, "off"));
        assertEquals(16, off(SQE, "addr"));
        assertEquals(24, off(SQE, "len"));
        assertEquals(28, off(SQE, "op_flags"));
        assertEquals(32, off(SQE, "user_data"));
        assertEquals(40, off(SQE, "buf_index"));
        assertEquals(42, off(SQE, "personality"));
        assertEquals(44, off(SQE, "file_index"));
        assertEquals(48, off(SQE, "addr3"));
    }

    @Test
    void cqe() {
        assertEquals(16, CQE.byteSize());
        assertEquals(0, off(CQE, "user_data"));
        assertEquals(8, off(CQE, "res"));
        assertEquals(12, off(CQE, "flags"));
    }

    @Test
    void paramsAndRingOffsets() {
        assertEquals(120, PARAMS.byteSize());
        assertEquals(0, off(PARAMS, "sq_entries"));
        assertEquals(4, off(PARAMS, "cq_entries"));
        assertEquals(8, off(PARAMS, "flags"));
        assertEquals(20, off(PARAMS, "features"));
        assertEquals(24, off(PARAMS, "wq_fd"));
        assertEquals(40, off(PARAMS, "sq_off"));
        assertEquals(80, off(PARAMS, "cq_off"));
        assertEquals(40, SQRING_OFFSETS.byteSize());
        assertEquals(0, off(SQRING_OFFSETS, "head"));
        assertEquals(4, off(SQRING_OFFSETS, "tail"));
        assertEquals(8, off(SQRING_OFFSETS, "ring_mask"));
        assertEquals(24, off(SQRING_OFFSETS, "array"));
        assertEquals(32, off(SQRING_OFFSETS, "user_addr"));
        assertEquals(40, CQRING_OFFSETS.byteSize());
        assertEquals(16, off(CQRING_OFFSETS, "overflow"));
        assertEquals(20, off(CQRING_OFFSETS, "cqes"));
        assertEquals(24, off(CQRING_OFFSETS, "flags"));
    }

    @Test
    void waitArguments() {
        assertEquals(24, GETEVENTS_ARG.byteSize());
        assertEquals(8, off(GETEVENTS_ARG, "sigmask_sz"));
        assertEquals(16, off(GETEVENTS_ARG, "ts"));
        assertEquals(16, TIMESPEC.byteSize());
        assertEquals(8, off(TIMESPEC, "tv_nsec"));
    }

    @Test
    void bufferRingAndProbe() {
        assertEquals(16, BUF.byteSize());
        assertEquals(8, off(BUF, "len"));
        assertEquals(12, off(BUF, "bid"));
        assertEquals(14, BUF_RING_TAIL);
        assertEquals(40, BUF_REG.byteSize());
        assertEquals(8, off(BUF_REG, "ring_entries"));
        assertEquals(12, off(BUF_REG, "bgid"));
        assertEquals(16, off(BUF_REG, "resv"));
        assertEquals(16, PROBE.byteSize());
        assertEquals(1, off(PROBE, "ops_len"));
        assertEquals(8, PROBE_OP.byteSize());
        assertEquals(2, off(PROBE_OP, "flags"));
    }

    /**
     * A SENDMSG's vector: struct msghdr (Mmsg.MSGHDR, pinned by MmsgLayoutTest) at 0 with msg_iov
     * pointing at the iovecs from 64 on; nothing else set (no address, no control, no flags).
     */
    @Test
    void sendmsgVector() {
        assertEquals(64, SEND_VECTOR_IOV);
        assertEquals(192, sendVectorBytes(8));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(sendVectorBytes(2), 8);
            v.fill((byte) 0x55);
            initSendVector(v);
            assertEquals(v.address() + 64, v.get(JAVA_LONG, 16), "msg_iov");
            for (long o : new long[] {0, 8, 24, 32, 40}) assertEquals(0, v.get(JAVA_LONG, o), "msghdr at " + o);
            assertEquals(0, v.get(JAVA_INT, 48), "msg_flags");
            MemorySegment buf = a.allocate(100);
            setIovec(v, 1, buf, 10, 90);
            assertEquals(buf.address() + 10, v.get(JAVA_LONG, 64 + 16), "iov_base of the second iovec");
            assertEquals(90, v.get(JAVA_LONG, 64 + 24), "iov_len");
            assertThrows(IndexOutOfBoundsException.class, () -> setIovec(v, 1, buf, 10, 91));
        }
    }

    @Test
    void constants() {
        assertEquals(425, SYS_SETUP);
        assertEquals(426, SYS_ENTER);
        assertEquals(427, SYS_REGISTER);
        assertEquals(0, OP_NOP);
        assertEquals(9, OP_SENDMSG);
        assertEquals(11, OP_TIMEOUT);
        assertEquals(13, OP_ACCEPT);
        assertEquals(14, OP_ASYNC_CANCEL);
        assertEquals(16, OP_CONNECT);
        assertEquals(19, OP_CLOSE);
        assertEquals(22, OP_READ);
        assertEquals(26, OP_SEND);
        assertEquals(27, OP_RECV);
        assertEquals(34, OP_SHUTDOWN);
        assertEquals(40, OP_MSG_RING);
        assertEquals(0x80, SETUP_SUBMIT_ALL);
        assertEquals(0x100, SETUP_COOP_TASKRUN);
        assertEquals(0x1000, SETUP_SINGLE_ISSUER);
        assertEquals(0x2000, SETUP_DEFER_TASKRUN);
        assertEquals(1, ENTER_GETEVENTS);
        assertEquals(8, ENTER_EXT_ARG);
        assertEquals(1, FEAT_SINGLE_MMAP);
        assertEquals(0x100, FEAT_EXT_ARG);
        assertEquals(0x20, IOSQE_BUFFER_SELECT);
        assertEquals(2, RECV_MULTISHOT);
        assertEquals(1, ACCEPT_MULTISHOT);
        assertEquals(1, CQE_F_BUFFER);
        assertEquals(2, CQE_F_MORE);
        assertEquals(16, CQE_BUFFER_SHIFT);
        assertEquals(8, REGISTER_PROBE);
        assertEquals(22, REGISTER_PBUF_RING);
        assertEquals(23, UNREGISTER_PBUF_RING);
        assertEquals(0x8000000L, OFF_CQ_RING);
        assertEquals(0x10000000L, OFF_SQES);
        assertEquals(125, ECANCELED);
        assertEquals(62, ETIME);
    }
}
