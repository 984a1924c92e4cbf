package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code core-to-core}: the probe's numbers read back, the verdict, and a real two-second run. */
class CoreToCoreTest {
    @Test
    void readsThousandsPerSecondAsNanoseconds() throws IOException {
        assertArrayEquals(new double[] {100.0, 500.0}, CoreToCore.nanos("10000 2000\n"), 1e-9);
        assertThrows(IOException.class, () -> CoreToCore.nanos(""));
        assertThrows(IOException.class, () -> CoreToCore.nanos("12 x"));
        assertThrows(IOException.class, () -> CoreToCore.nanos("12 0"));
    }

    @Test
    void saysWhetherTheMachineHeldStill() {
        String two = CoreToCore.summary(new double[] {88, 460, 459, 90}, "0", "1");
        assertTrue(two.contains("ns per round trip, each second: 88 460 459 90"), two);
        assertTrue(two.contains("UNSTEADY: from 88 to 460 ns"), two);
        String one = CoreToCore.summary(new double[] {460, 455, 470}, "0", "1");
        assertTrue(one.contains("median 460 ns, steady within 3 %"), one);
    }

    @Test
    void refusesABadCpuPair() throws Exception {
        BenchMainTest.Run r = BenchMainTest.bench("core-to-core", "--cpus", "1,1");
        assertNotEquals(0, r.status());
        assertTrue(r.err().contains("--cpus must be two different CPU numbers"), r.err());
    }

    @Test
    @Timeout(120)
    void measuresTwoSeconds() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2 && CServer.gccPath() != null, "needs two CPUs and gcc");
        BenchMainTest.Run r = BenchMainTest.bench("core-to-core", "--seconds", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().matches("(?s)core-to-core CPU 0 <-> CPU 1: ns per round trip, each second: \\d+ \\d+\\R  median \\d+ ns, .*"), r.out());
    }

    @Test
    @Timeout(120)
    void aCpuThatIsNotThereFailsSayingSo() throws Exception {
        assumeTrue(CServer.gccPath() != null, "needs gcc");
        BenchMainTest.Run r = BenchMainTest.bench("core-to-core", "--seconds", "1", "--cpus", "0,4095");
        assertNotEquals(0, r.status());
        assertTrue(r.err().contains("cannot run on CPU 4095"), r.err());
    }
}
