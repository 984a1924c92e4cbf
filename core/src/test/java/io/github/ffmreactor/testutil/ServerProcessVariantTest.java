package io.github.ffmreactor.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The stress profile's extra server options: a case that fixed its backend keeps it. */
class ServerProcessVariantTest {
    @Test
    void extraOptionsAreAppendedWhole() {
        assertEquals(List.of("--backend", "io_uring", "--loops", "2"),
                ServerProcess.variant(List.of("echo", "--port", "0"), " --backend io_uring --loops 2 "));
    }

    @Test
    void aCaseThatNamesItsBackendKeepsItAndTakesTheRest() {
        assertEquals(List.of("--loops", "2"),
                ServerProcess.variant(List.of("echo", "--backend", "select"), "--backend io_uring --loops 2"));
        assertEquals(List.of(), ServerProcess.variant(List.of("echo", "--backend", "select"), "--backend io_uring"));
    }
}
