package io.github.ffmreactor.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** struct epoll_event: packed on x86_64 only (native-notes/epoll.md). */
class EpollLayoutTest {
    @Test
    void x86_64IsPackedTwelveBytes() {
        StructLayout l = Epoll.eventLayout("x86_64");
        assertEquals(12, l.byteSize());
        assertEquals(0, l.byteOffset(PathElement.groupElement("events")));
        assertEquals(4, l.byteOffset(PathElement.groupElement("data")));
    }

    @Test
    void aarch64IsNaturallyAlignedSixteenBytes() {
        StructLayout l = Epoll.eventLayout("aarch64");
        assertEquals(16, l.byteSize());
        assertEquals(0, l.byteOffset(PathElement.groupElement("events")));
        assertEquals(8, l.byteOffset(PathElement.groupElement("data")));
    }

    @Test
    void runningArchitectureUsesItsLayout() {
        assertEquals(Epoll.eventLayout(Platform.ARCH).byteSize(), Epoll.EVENT_SIZE);
        assertEquals(Platform.ARCH.equals("x86_64") ? 4 : 8, Epoll.DATA_OFFSET);
    }

    @Test
    void constantsMatchTheLinuxHeaders() {
        // <sys/epoll.h>
        assertEquals(0x001, Epoll.EPOLLIN);
        assertEquals(0x004, Epoll.EPOLLOUT);
        assertEquals(0x008, Epoll.EPOLLERR);
        assertEquals(0x010, Epoll.EPOLLHUP);
        assertEquals(0x2000, Epoll.EPOLLRDHUP);
        assertEquals(0x40000000, Epoll.EPOLLONESHOT);
        assertEquals(0x80000000, Epoll.EPOLLET);
        assertEquals(1, Epoll.EPOLL_CTL_ADD);
        assertEquals(2, Epoll.EPOLL_CTL_DEL);
        assertEquals(3, Epoll.EPOLL_CTL_MOD);
        assertEquals(02000000, Epoll.EPOLL_CLOEXEC);
        assertEquals(02000000, EventFd.EFD_CLOEXEC);
        assertEquals(04000, EventFd.EFD_NONBLOCK);
    }
}
