package io.github.ffmreactor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trigger profile's schedule: its forks in rounds, and the record of the order they ran in
 * ({@code rounds/order.txt}).
 *
 * <p>In every round each cell (connections x depth) runs one fork of each server, the cells one
 * after the other. Within a cell, round {@code r} runs the servers in the given order where
 * {@code r} has an even number of 1 bits and reversed where odd: forward, reversed, reversed,
 * forward, ... (the Thue–Morse sequence; for edge and level, AB BA BA AB). A drift of the machine
 * that is linear in time (CPU frequency, another process winding up) then adds the same to every
 * server's mean over any two consecutive rounds 2j and 2j+1, since a server's position p in one is
 * k-1-p in the other; JMH's own order (all forks of edge, then all of level) gives it to one mode
 * only. Thue–Morse rather than plain alternation because over each block of four rounds it also
 * cancels a drift that bends (quadratic in time across the rounds), which alternation leaves as a
 * bias toward one end of the order. An odd number of rounds leaves the last one unpaired: give
 * the profile an even number of forks.
 */
final class Rounds {
    private Rounds() {}

    /** One fork of the profile: its round, its place in its cell's order that round (from 1), its cell and server. */
    record Fork(int round, int position, int connections, int depth, int size, String server) {
        /** Its JMH JSON, in the rounds directory. */
        String file() {
            return "r" + round + "-c" + connections + "-d" + depth + "-" + server + ".json";
        }

        /** The table's cell key ({@link TriggerTable#byCell}). */
        String cell() {
            return connections + "|" + size + "|" + depth;
        }
    }

    static final String ORDER_FILE = "order.txt";
    static final String HEADER = """
            # The trigger profile's forks in the order they ran: one JMH fork (-f 1) each, its JSON in this directory.
            # round\tposition\tstart (UTC)\tseconds\tconnections\tdepth\tsize\tserver\tjson\tstatus
            """;

    /** The servers in round {@code round}'s order. */
    static List<String> order(List<String> servers, int round) {
        List<String> r = new ArrayList<>(servers);
        if (Integer.bitCount(round) % 2 == 1) Collections.reverse(r);
        return r;
    }

    /** The whole profile, in the order it runs: round, then connections, then depth, then server. */
    static List<Fork> plan(List<String> servers, List<Integer> connections, List<Integer> depths, int size, int rounds) {
        List<Fork> plan = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            List<String> order = order(servers, r);
            for (int c : connections) {
                for (int d : depths) {
                    for (int i = 0; i < order.size(); i++) plan.add(new Fork(r, i + 1, c, d, size, order.get(i)));
                }
            }
        }
        return plan;
    }

    /** The order file's line for a fork that started at {@code start} and ran for {@code took}. */
    static String line(Fork f, Instant start, Duration took, boolean ok) {
        return String.join("\t", Integer.toString(f.round), Integer.toString(f.position), start.toString(),
                String.format(Locale.ROOT, "%.1f", took.toMillis() / 1000.0), Integer.toString(f.connections),
                Integer.toString(f.depth), Integer.toString(f.size), f.server, f.file(), ok ? "ok" : "failed") + "\n";
    }

    /**
     * From an order file, per cell key, the servers of each round in the order their forks ran
     * (only forks that finished); empty where there is no such file.
     */
    static Map<String, List<List<String>>> orders(Path file) throws IOException {
        Map<String, TreeMap<Integer, TreeMap<Integer, String>>> byCell = new LinkedHashMap<>();
        Map<String, List<List<String>>> r = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return r;
        for (String l : Files.readAllLines(file)) {
            if (l.isBlank() || l.startsWith("#")) continue;
            String[] f = l.split("\t", -1);
            if (f.length != 10) throw new IOException(file + ": expected 10 tab-separated fields, got " + f.length + ": " + l);
            if (!f[9].equals("ok")) continue;
            try {
                Fork k = new Fork(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[4]), Integer.parseInt(f[5]),
                        Integer.parseInt(f[6]), f[7]);
                byCell.computeIfAbsent(k.cell(), x -> new TreeMap<>()).computeIfAbsent(k.round, x -> new TreeMap<>()).put(k.position, k.server);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": not a number in " + l, e);
            }
        }
        for (var c : byCell.entrySet()) {
            List<List<String>> rounds = new ArrayList<>();
            for (TreeMap<Integer, String> round : c.getValue().values()) rounds.add(List.copyOf(round.values()));
            r.put(c.getKey(), rounds);
        }
        return r;
    }
}
