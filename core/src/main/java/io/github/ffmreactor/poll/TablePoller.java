package io.github.ffmreactor.poll;

import io.github.ffmreactor.NativeException;
import io.github.ffmreactor.Trigger;

/**
 * The backends whose registrations live in an {@link FdTable} (poll, select, Winsock select):
 * the kernel sees a registration only at the next wait, so EEXIST and ENOENT come from the
 * table, and the ready events are read back from it.
 */
abstract sealed class TablePoller extends BasePoller permits PollPoller, SelectPoller, WinSelectPoller {
    final FdTable table;

    TablePoller(Capabilities caps, FdTable table) {
        super(caps);
        this.table = table;
    }

    @Override
    final int registration(int fd) {
        return table.entry(fd) >= 0 ? PRESENT : ABSENT;
    }

    /**
     * Checks that {@code fd} can be watched, as the kernel would at once with epoll_ctl: EBADF for
     * a closed fd (fcntl(F_GETFD)). Winsock select checks its handle its own way.
     */
    void checkHandle(int fd) throws NativeException {
        Registrations.checkOpen(cs, name() + " register", fd);
    }

    /** Entry {@code i} was added for {@code fd}: mirror it in the backend's native form. */
    void added(int i, int fd, int interest) {}

    /** Entry {@code i} (of {@code fd}) now has {@code interest}. */
    void changed(int i, int fd, int interest) {}

    /** Entry {@code i} (of {@code fd}) was removed; entry {@code moved} moved into it (-1: none did). */
    void removed(int i, int moved, int fd) {}

    @Override
    final void add(int fd, int interest, Trigger trigger, long token) throws NativeException {
        checkHandle(fd);
        ctlCalls++;
        added(table.add(fd, interest, token), fd, interest);
    }

    @Override
    final void change(int fd, int interest, Trigger trigger, long token) {
        ctlCalls++;
        int i = table.entry(fd);
        table.set(i, interest, token);
        changed(i, fd, interest);
    }

    @Override
    final void remove(int fd) {
        ctlCalls++;
        int i = table.entry(fd);
        removed(i, table.remove(i), fd);
    }

    @Override
    public final long token(int i) {
        return table.readyToken(i);
    }

    @Override
    public final int ready(int i) {
        return table.readyBits(i);
    }
}
