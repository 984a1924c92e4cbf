package io.github.ffmreactor.loop;

/**
 * Drives a loop's turns on one thread until it stops, asking the loop's {@link WaitStrategy.Idler}
 * how long each wait may sleep, then terminates the loop (closes everything, runs
 * {@code afterTermination}). What {@link EventLoop#run} and {@link EventLoop#start} use; an
 * embedder with a thread of its own calls {@link EventLoop#runOnce} instead. No allocation per turn.
 */
final class Runner implements Runnable {
    private final EventLoop loop;

    private Runner(EventLoop loop) {
        this.loop = loop;
    }

    /** Runs {@code loop} on the calling thread until it ends. */
    static void runHere(EventLoop loop) {
        loop.life.claim(Thread.currentThread(), true, false, loop.inbox.isClosed());
        new Runner(loop).run();
    }

    /** Runs {@code loop} on a new platform thread, which owns it from the moment this returns. */
    static Thread start(EventLoop loop, String name) {
        Thread t = Thread.ofPlatform().name(name).unstarted(new Runner(loop));
        loop.life.claim(t, true, true, loop.inbox.isClosed());
        t.start();
        return t;
    }

    @Override
    public void run() {
        WaitStrategy.Idler idler = loop.idler;
        Lifecycle life = loop.life;
        Throwable cause = null;
        try {
            int work = 0;
            while (!life.finished(loop.registry.open)) {
                work = loop.turn(idler.idle(work));
            }
        } catch (Throwable t) {
            // Channels, timers and tasks are contained where they run: what gets here is the
            // engine failing (epoll_wait: EBADF...), and the loop cannot go on without it.
            cause = t;
        }
        loop.terminate(cause);
    }
}
