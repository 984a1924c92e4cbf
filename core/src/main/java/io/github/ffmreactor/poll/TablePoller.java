package io.github.ffmreactor.poll;

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

    @Override
    public final long token(int i) {
        return table.readyToken(i);
    }

    @Override
    public final int ready(int i) {
        return table.readyBits(i);
    }
}
