package io.github.ffmreactor.poll;
import io.github.ffmreactor.Trigger;

/**
 * What a backend can do. Registration asks for nothing beyond these: an unsupported trigger or an
 * fd past {@code maxFd} is a clear error at registration, never a silent downgrade.
 *
 * @param edge    edge triggering ({@link Trigger#EDGE})
 * @param oneshot one-shot registration ({@link Trigger#ONESHOT})
 * @param maxFd   the largest fd number the backend can watch (select: FD_SETSIZE - 1)
 */
public record Capabilities(boolean edge, boolean oneshot, int maxFd) {
    public boolean supports(Trigger t) {
        return switch (t) {
            case LEVEL -> true;
            case EDGE -> edge;
            case ONESHOT -> oneshot;
        };
    }
}
