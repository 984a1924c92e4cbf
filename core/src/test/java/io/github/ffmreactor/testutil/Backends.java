package io.github.ffmreactor.testutil;

import io.github.ffmreactor.poll.Poller;
import io.github.ffmreactor.Trigger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/** Parameter sources: every backend this OS offers, and every (backend, trigger) it can carry. */
public final class Backends {
    private Backends() {}

    public static List<String> names() {
        return Poller.available();
    }

    /** Every backend a loop can open here: the pollers, then io_uring where it can run. */
    public static List<String> loops() {
        List<String> r = new ArrayList<>(Poller.available());
        if (uring()) r.add("io_uring");
        return r;
    }

    /** Whether the io_uring engine can run here (Linux, io_uring allowed). */
    public static boolean uring() {
        return io.github.ffmreactor.sys.Platform.CURRENT == io.github.ffmreactor.sys.Platform.LINUX
                && io.github.ffmreactor.sys.Uring.available();
    }

    /**
     * Whether an engine named as on the command line ({@code poll}, {@code io_uring}...) takes
     * {@code trigger}: the completion engine takes LEVEL and EDGE; a poller, what its capabilities say.
     */
    public static boolean takes(String name, Trigger trigger) {
        if (name.equals("io_uring")) return trigger != Trigger.ONESHOT;
        try (Poller p = Poller.open(name)) {
            return p.capabilities().supports(trigger);
        } catch (Exception e) {
            throw new IllegalStateException(name + ": " + e.getMessage(), e);
        }
    }

    public static List<Arguments> withTriggers() {
        return withTriggers(Trigger.LEVEL, Trigger.EDGE);
    }

    /** As {@link #withTriggers()}, with {@link Trigger#ONESHOT} too where a backend has it. */
    public static List<Arguments> withEveryTrigger() {
        return withTriggers(Trigger.LEVEL, Trigger.EDGE, Trigger.ONESHOT);
    }

    private static List<Arguments> withTriggers(Trigger... triggers) {
        List<Arguments> r = new ArrayList<>();
        for (String b : Poller.available()) {
            try (Poller p = Poller.open(b)) {
                for (Trigger t : triggers) {
                    if (p.capabilities().supports(t)) r.add(Arguments.of(b, t));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        // The completion engine has no trigger: LEVEL and EDGE are accepted and behave the same.
        if (uring()) {
            r.add(Arguments.of("io_uring", Trigger.LEVEL));
            r.add(Arguments.of("io_uring", Trigger.EDGE));
        }
        return r;
    }
}
