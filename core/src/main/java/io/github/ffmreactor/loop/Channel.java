package io.github.ffmreactor.loop;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.NativeException;

/** Something registered on a loop under a slot token: a connection, a listener, a connect in progress, a UDP socket. */
abstract sealed class Channel permits Connection, Listener, Connector, Datagram {
    final EventLoop loop;
    final Trigger trigger;
    /** The fd this channel owns; -1 once closed, so it can never be closed twice. */
    int fd;
    int slot = -1;
    /** What this channel last asked its engine for ({@code Poller.READ}, {@code WRITE}, {@code HANGUP}). */
    int interest;
    private Object attachment;

    Channel(EventLoop loop, int fd, Trigger trigger) {
        this.loop = loop;
        this.fd = fd;
        this.trigger = trigger;
    }

    /** The trigger its fd is watched with (a listener's differs from its connections'). */
    Trigger watchTrigger() {
        return trigger;
    }

    /** Handles one event: {@code ready} is a mix of the Poller's READ/WRITE/HANGUP/ERROR bits. */
    abstract void ready(int ready) throws NativeException;

    /** Closes at once (on the loop thread). {@code cause} is null for an orderly close. */
    abstract void closeNow(Throwable cause);

    /** Registration failed and the fd is already closed: free anything else the channel holds. */
    void released() {}

    /**
     * Closes, dropping anything queued: at once on the loop thread (or when the loop is not
     * running), otherwise as a task on the loop. Safe from any thread, and more than once.
     */
    public void close() {
        if (loop.inLoop() || !loop.isRunning()) closeNow(null);
        else loop.execute(() -> closeNow(null));
    }

    /** The fd this channel owns, or -1 once closed. */
    public int fd() {
        return fd;
    }

    public Trigger trigger() {
        return trigger;
    }

    public EventLoop loop() {
        return loop;
    }

    public boolean isOpen() {
        return fd >= 0;
    }

    /**
     * Keeps the user's state for this channel (a parser, a session), replacing what was attached.
     * Loop thread only, like everything on it; neither this nor {@link #attachment(Class)}
     * allocates.
     *
     * <p>Why a typed getter and not a public field or a type parameter: a field let any code swap
     * the state and left every read an unchecked cast; a type parameter would reach into every
     * handler signature for one slot. The expected type is named at the read, and a wrong guess
     * fails there with both types in the message.
     *
     * @param state the state, or null to drop it
     */
    public void attach(Object state) {
        attachment = state;
    }

    /**
     * The attached state as {@code type}.
     *
     * @param <T>  the state's type
     * @param type the type it was attached as (or a supertype)
     * @return the state, or null if none is attached
     * @throws ClassCastException naming both types if the state is of another type
     */
    public <T> T attachment(Class<T> type) {
        Object a = attachment;
        if (a == null || type.isInstance(a)) return type.cast(a);
        throw new ClassCastException("attachment is a " + a.getClass().getName() + ", not a " + type.getName());
    }
}
