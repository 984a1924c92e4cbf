package io.github.ffmreactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.kv.KvConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kv command's options: sizes with units, the Redis-named limits, and what a bad one says. */
@Timeout(30)
class KvServerArgsTest {
    @Test
    void sizeOption() throws Exception {
        String[][] ok = {{"1000", "1000"}, {"64KiB", "65536"}, {"2mb", "2097152"}, {"1G", "1073741824"}, {" 7 k ", "7168"}};
        for (String[] k : ok) {
            Args a = Args.parse(new String[] {"--max-bulk", k[0]}, KvServer.OPTIONS);
            assertEquals(Long.parseLong(k[1]), KvServer.size(a, "max-bulk", 5, 1, Integer.MAX_VALUE), k[0]);
        }
        assertEquals(5, KvServer.size(Args.parse(new String[0], KvServer.OPTIONS), "max-bulk", 5, 1, 10));
        for (String bad : new String[] {"x", "", "0", "-1", "3GiB", "1.5MiB", "99999999999999999999"}) {
            Args a = Args.parse(new String[] {"--max-bulk", bad}, KvServer.OPTIONS);
            try {
                KvServer.size(a, "max-bulk", 5, 1, Integer.MAX_VALUE);
                throw new AssertionError("accepted '" + bad + "'");
            } catch (Args.BadArgs e) {
                assertTrue(e.getMessage().startsWith("--max-bulk must"), e.getMessage());
            }
        }
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"kv", "--max-bulk", "lots"}, new java.io.PrintStream(out), new java.io.PrintStream(err));
        assertEquals(2, code);
        assertTrue(err.toString().contains("ffmreactor kv: --max-bulk must be a size"), err.toString());
    }

    @Test
    void redisNamedLimits() throws Exception {
        KvConfig c = KvServer.config(Args.parse(new String[] {"--client-query-buffer-limit", "64MiB",
            "--client-output-buffer-limit", "8MiB"}, KvServer.OPTIONS));
        assertEquals(64L << 20, c.queryBufferLimit());
        assertEquals(8L << 20, c.outputBufferLimit());
        assertEquals(KvConfig.defaults(), KvServer.config(Args.parse(new String[0], KvServer.OPTIONS)));
        var err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"kv", "--client-output-buffer-limit", "1k"}, new java.io.PrintStream(
                new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err));
        assertEquals(2, code);
        assertTrue(err.toString().contains("--client-output-buffer-limit must be in 1048576.."), err.toString());
    }

    /** {@code kv --train} runs its load against an in-process server and exits 0 with its counters. */
    @Test
    void trainRunsALoadAndExits() throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"kv", "--train", "--train-requests", "5000"}, new java.io.PrintStream(out),
                new java.io.PrintStream(err));
        assertEquals(0, code, out + "\n" + err);
        String text = out.toString();
        assertTrue(text.contains("ffmreactor kv trained: "), text);
        assertTrue(text.contains("protocolErrors=0"), text);
        // The script has one unknown command per connection; nothing else fails.
        assertTrue(text.contains("errors=" + KvTrain.SCRIPTED + " "), text);
    }
}
