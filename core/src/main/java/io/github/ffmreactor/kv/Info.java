package io.github.ffmreactor.kv;

import java.util.Locale;

/**
 * INFO's text: the sections clients parse ({@code # Server} with {@code redis_version}, clients,
 * memory, stats, keyspace), as {@code name:value} lines, the same shape as Redis's.
 */
final class Info {
    private Info() {}

    private static final String[] SECTIONS = {"server", "clients", "memory", "stats", "keyspace"};

    /** The sections the call names (all of them with none, "all", "default" or "everything"). Store lock held. */
    static String text(Call c) {
        boolean all = c.argc == 1;
        boolean[] want = new boolean[SECTIONS.length];
        for (int i = 1; i < c.argc; i++) {
            String s = c.text(i, 64).toLowerCase(Locale.ROOT);
            if (s.equals("all") || s.equals("default") || s.equals("everything")) all = true;
            for (int k = 0; k < SECTIONS.length; k++) if (SECTIONS[k].equals(s)) want[k] = true;
        }
        StringBuilder b = new StringBuilder();
        Runtime rt = Runtime.getRuntime();
        for (int k = 0; k < SECTIONS.length; k++) {
            if (!all && !want[k]) continue;
            if (b.length() > 0) b.append("\r\n");
            switch (SECTIONS[k]) {
                case "server" -> b.append("# Server\r\n")
                        .append("redis_version:").append(ServerCommands.REDIS_VERSION).append("\r\n")
                        .append("redis_mode:standalone\r\n")
                        .append("server_name:ffmreactor-kv\r\n")
                        .append("os:").append(System.getProperty("os.name")).append(' ')
                        .append(System.getProperty("os.arch")).append("\r\n")
                        .append("arch_bits:64\r\n")
                        .append("process_id:").append(ProcessHandle.current().pid()).append("\r\n")
                        .append("tcp_port:").append(c.kv.port()).append("\r\n")
                        .append("uptime_in_seconds:").append(c.kv.uptimeSeconds()).append("\r\n")
                        .append("uptime_in_days:").append(c.kv.uptimeSeconds() / 86400).append("\r\n");
                case "clients" -> b.append("# Clients\r\n")
                        .append("connected_clients:").append(c.kv.clients()).append("\r\n");
                case "memory" -> b.append("# Memory\r\n")
                        .append("used_memory:").append(rt.totalMemory() - rt.freeMemory()).append("\r\n")
                        .append("maxmemory:").append(rt.maxMemory()).append("\r\n");
                case "stats" -> b.append("# Stats\r\n")
                        .append("total_connections_received:").append(c.kv.connectionsReceived()).append("\r\n")
                        .append("total_commands_processed:").append(c.kv.totalCommands()).append("\r\n")
                        .append("expired_keys:").append(c.store.expired()).append("\r\n");
                default -> {
                    b.append("# Keyspace\r\n");
                    if (c.store.size() > 0) {
                        b.append("db0:keys=").append(c.store.size()).append(",expires=").append(c.store.withDeadline())
                                .append(",avg_ttl=0\r\n");
                    }
                }
            }
        }
        return b.toString();
    }
}
