package io.github.ffmreactor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trigger profile's schedule: which order the forks run in, why it cancels a drift, and its record. */
class RoundsTest {
    private static final List<String> EL = List.of("ffm-edge", "ffm-level");

    @Test
    void roundsRunForwardOrReversedByTheThueMorseSequence() {
        List<String> rev = List.of("ffm-level", "ffm-edge");
        List<List<String>> seen = new ArrayList<>();
        for (int r = 0; r < 8; r++) seen.add(Rounds.order(EL, r));
        assertEquals(List.of(EL, rev, rev, EL, rev, EL, EL, rev), seen);
        assertEquals(List.of("e", "d", "c", "b", "a"), Rounds.order(List.of("a", "b", "c", "d", "e"), 1));
    }

    /** Σ t^power of each server's forks' times, a fork's time being its index in the whole plan. */
    private static Map<String, Double> moments(List<Rounds.Fork> plan, int power) {
        Map<String, Double> m = new HashMap<>();
        for (int t = 0; t < plan.size(); t++) m.merge(plan.get(t).server(), Math.pow(t, power), Double::sum);
        return m;
    }

    @Test
    void twoRoundsGiveEveryServerTheSameMeanTimeSoALinearDriftCancels() {
        List<String> five = List.of("ffm-edge", "ffm-level", "ffm-oneshot", "ffm-poll", "ffm-select");
        List<Rounds.Fork> plan = Rounds.plan(five, List.of(1, 16, 256), List.of(1, 16), 64, 2);
        assertEquals(2 * 6 * 5, plan.size());
        Map<String, Double> sum = moments(plan, 1);
        assertEquals(1, sum.values().stream().distinct().count(), sum.toString());
        // In each cell, a server's places in the two rounds add up to k + 1.
        Map<String, Integer> places = new HashMap<>();
        for (Rounds.Fork f : plan) places.merge(f.cell() + " " + f.server(), f.position(), Integer::sum);
        assertEquals(List.of(6), places.values().stream().distinct().toList());
    }

    @Test
    void fourRoundsAlsoCancelAQuadraticDriftBetweenEdgeAndLevel() {
        List<Rounds.Fork> plan = Rounds.plan(EL, List.of(1, 16, 256), List.of(1, 16), 64, 4);
        for (int power = 1; power <= 2; power++) {
            Map<String, Double> m = moments(plan, power);
            assertEquals(m.get("ffm-edge"), m.get("ffm-level"), "power " + power + ": " + m);
        }
        // Plain alternation (F R F R) would not: in one cell, edge at 0, 3, 4, 7 and level at 1, 2,
        // 5, 6 have the same sum (14) but not the same sum of squares (74 against 66).
    }

    @Test
    void theOrderFileGivesEachCellsRoundsAndLeavesOutFailedForks(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Rounds.ORDER_FILE);
        StringBuilder b = new StringBuilder(Rounds.HEADER);
        Instant t = Instant.parse("2026-12-07T20:00:00Z");
        for (Rounds.Fork f : Rounds.plan(EL, List.of(1, 16), List.of(1), 64, 2)) {
            b.append(Rounds.line(f, t, Duration.ofMillis(9_500), true));
            t = t.plusSeconds(10);
        }
        b.append(Rounds.line(new Rounds.Fork(2, 1, 16, 1, 64, "ffm-edge"), t, Duration.ofSeconds(3), false));
        Files.writeString(file, b);
        assertTrue(b.toString().contains("0\t1\t2026-12-07T20:00:00Z\t9.5\t1\t1\t64\tffm-edge\tr0-c1-d1-ffm-edge.json\tok\n"), b.toString());
        Map<String, List<List<String>>> o = Rounds.orders(file);
        assertEquals(List.of("1|64|1", "16|64|1"), List.copyOf(o.keySet()));
        List<List<String>> expected = List.of(EL, List.of("ffm-level", "ffm-edge"));
        assertEquals(expected, o.get("1|64|1"));
        assertEquals(expected, o.get("16|64|1"), "the failed fork of round 2 is not a round");
        assertEquals(Map.of(), Rounds.orders(dir.resolve("absent.txt")));
    }

    @Test
    void aMalformedOrderFileIsAnErrorNamingIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Rounds.ORDER_FILE);
        Files.writeString(file, Rounds.HEADER + "0\t1\tffm-edge\n");
        IOException e = assertThrows(IOException.class, () -> Rounds.orders(file));
        assertTrue(e.getMessage().startsWith(file + ": expected 10 tab-separated fields, got 3"), e.getMessage());
        Files.writeString(file, Rounds.HEADER + "0\tone\t2026-12-07T20:00:00Z\t9.5\t1\t1\t64\tffm-edge\tr0-c1-d1-ffm-edge.json\tok\n");
        e = assertThrows(IOException.class, () -> Rounds.orders(file));
        assertTrue(e.getMessage().startsWith(file + ": not a number in 0\tone"), e.getMessage());
    }
}
