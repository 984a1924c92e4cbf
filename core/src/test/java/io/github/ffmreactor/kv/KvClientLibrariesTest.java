package io.github.ffmreactor.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.ffmreactor.Trigger;
import io.github.ffmreactor.loop.LoopOptions;
import io.github.ffmreactor.testutil.LoopRunner;
import io.github.ffmreactor.testutil.RedisServer;
import io.github.ffmreactor.testutil.Tools;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The client libraries kv's users run, each with its everyday calls (the ones its README shows
 * first, pipelines and transactions included), against kv and against a real redis-server in
 * the same run: the same calls must give the same results on both. Jedis (RESP2 and RESP3),
 * Lettuce (which opens with HELLO 3), and redis-py from Debian's python3-redis (RESP2).
 */
@Timeout(300)
class KvClientLibrariesTest {
    private static RedisServer redis;
    private static LoopRunner kv;

    @BeforeAll
    static void servers() throws Exception {
        redis = RedisServer.start();
        Kv server = new Kv(KvConfig.defaults());
        kv = new LoopRunner(server.options(LoopOptions.defaults()), Trigger.LEVEL, server::handler);
        server.port(kv.address().getPort());
        server.sweepOn(kv.loop);
    }

    @AfterAll
    static void stop() throws Exception {
        if (kv != null) kv.close();
        if (redis != null) redis.close();
    }

    static int port(String server) {
        return server.equals("kv") ? kv.address().getPort() : redis.port;
    }

    @ParameterizedTest
    @ValueSource(strings = {"kv", "redis-server"})
    void jedis(String server) {
        jedisEveryday(port(server), RedisProtocol.RESP2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"kv", "redis-server"})
    void jedisResp3(String server) {
        jedisEveryday(port(server), RedisProtocol.RESP3);
    }

    static void jedisEveryday(int port, RedisProtocol protocol) {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder().protocol(protocol).timeoutMillis(10_000).build();
        try (RedisClient j = RedisClient.builder().hostAndPort("127.0.0.1", port).clientConfig(config).build()) {
            assertEquals("OK", j.flushDB());
            assertEquals("PONG", j.ping());
            assertEquals("OK", j.set("foo", "bar"));
            assertEquals("bar", j.get("foo"));
            assertNull(j.get("missing"));
            assertEquals(1, j.incr("n"));
            assertEquals(6, j.incrBy("n", 5));
            assertEquals(5, j.decr("n"));
            assertEquals(-5, j.decrBy("n", 10));
            assertEquals("OK", j.setex("t", 100, "v"));
            assertEquals(100, j.ttl("t"));
            assertTrue(j.pttl("t") > 98_000);
            assertEquals(1, j.expire("foo", 50));
            assertEquals(1, j.persist("foo"));
            assertEquals(-1, j.ttl("foo"));
            assertEquals(-2, j.ttl("missing"));
            assertEquals(6, j.append("foo", "baz"));
            assertEquals(6, j.strlen("foo"));
            assertEquals("barbaz", j.getDel("foo"));
            assertEquals(1, j.setnx("once", "1"));
            assertEquals(0, j.setnx("once", "2"));
            assertEquals("OK", j.set("cond", "1", SetParams.setParams().nx().ex(10)));
            assertNull(j.set("cond", "1", SetParams.setParams().nx()));
            assertEquals("OK", j.mset("a", "1", "b", "2"));
            assertEquals(java.util.Arrays.asList("1", null, "2"), j.mget("a", "nope", "b"));
            assertEquals(2, j.exists("a", "b", "nope"));
            assertEquals("string", j.type("a"));
            assertEquals("none", j.type("nope"));
            assertEquals(Set.of("a", "b", "cond", "n", "once", "t"), j.keys("*"));
            assertEquals(6, j.dbSize());
            Set<String> scanned = new TreeSet<>();
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> r = j.scan(cursor, new ScanParams().match("*").count(2));
                scanned.addAll(r.getResult());
                cursor = r.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
            assertEquals(new TreeSet<>(j.keys("*")), scanned);
            assertTrue(j.info().contains("redis_version:"));
            assertTrue(j.info("server").contains("redis_version:"));
            assertEquals(2, j.del("a", "b", "nope"));

            Pipeline p = j.pipelined();
            List<Response<String>> sets = new ArrayList<>();
            List<Response<String>> gets = new ArrayList<>();
            for (int i = 0; i < 100; i++) sets.add(p.set("k" + i, "v" + i));
            for (int i = 0; i < 100; i++) gets.add(p.get("k" + i));
            Response<Long> incr = p.incr("n");
            p.sync();
            for (int i = 0; i < 100; i++) {
                assertEquals("OK", sets.get(i).get());
                assertEquals("v" + i, gets.get(i).get());
            }
            assertEquals(-4, incr.get());

            try (AbstractTransaction t = j.multi()) {
                t.set("tx", "1");
                t.incr("tx");
                t.get("tx");
                assertEquals(List.of("OK", 2L, "2"), t.exec());
            }
            JedisDataException unknown = assertThrows(JedisDataException.class, () -> j.sendCommand(() -> "NOSUCH".getBytes(
                    StandardCharsets.US_ASCII), "x"));
            assertTrue(unknown.getMessage().startsWith("ERR unknown command 'NOSUCH'"), unknown.getMessage());
        }
        // The classic single-connection client: connection commands and a transaction discarded.
        try (Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().protocol(protocol).build())) {
            assertEquals("OK", jedis.select(0));
            assertEquals("OK", jedis.clientSetname("jedis-test"));
            assertEquals("jedis-test", jedis.clientGetname());
            assertTrue(jedis.clientId() > 0);
            Transaction t = jedis.multi();
            t.set("gone", "1");
            assertEquals("OK", t.discard());
            assertNull(jedis.get("gone"));
            assertEquals("OK", jedis.flushAll());
            assertEquals(0, jedis.dbSize());
        }
    }

    static List<org.junit.jupiter.params.provider.Arguments> engines() {
        return io.github.ffmreactor.testutil.Backends.withTriggers();
    }

    /** kv on every engine this machine has (epoll level and edge, poll, select, io_uring): Jedis's calls pass on each. */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.MethodSource("engines")
    void jedisOnEveryEngine(String backend, Trigger trigger) throws Exception {
        Kv server = new Kv(KvConfig.defaults());
        LoopOptions options = server.options(LoopOptions.defaults().withBackend(io.github.ffmreactor.loop.Backend.parse(backend)));
        try (LoopRunner r = new LoopRunner(options, trigger, server::handler)) {
            jedisEveryday(r.address().getPort(), RedisProtocol.RESP3);
            jedisEveryday(r.address().getPort(), RedisProtocol.RESP2);
            assertEquals(0, r.loop.stats().failures(), r.errors.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kv", "redis-server"})
    void lettuce(String server) throws Exception {
        lettuceEveryday(port(server), ProtocolVersion.RESP3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"kv", "redis-server"})
    void lettuceResp2(String server) throws Exception {
        lettuceEveryday(port(server), ProtocolVersion.RESP2);
    }

    static void lettuceEveryday(int port, ProtocolVersion protocol) throws Exception {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(
                io.lettuce.core.RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(io.lettuce.core.ClientOptions.builder().protocolVersion(protocol).build());
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> sync = conn.sync();
            assertEquals("OK", sync.flushdb());
            assertEquals("PONG", sync.ping());
            assertEquals("OK", sync.set("key", "Hello, Redis!"));
            assertEquals("Hello, Redis!", sync.get("key"));
            assertNull(sync.get("missing"));
            assertEquals(1, sync.incr("n"));
            assertEquals(11, sync.incrby("n", 10));
            assertEquals(10, sync.decr("n"));
            assertEquals(7, sync.decrby("n", 3));
            assertEquals("OK", sync.setex("t", 100, "v"));
            assertEquals(100, sync.ttl("t"));
            assertTrue(sync.expire("key", 100));
            assertTrue(sync.persist("key"));
            assertEquals(-1, sync.ttl("key"));
            assertEquals(16, sync.append("key", "!!!"));
            assertEquals(16, sync.strlen("key"));
            assertEquals("Hello, Redis!!!!", sync.getdel("key"));
            assertTrue(sync.setnx("once", "1"));
            assertEquals("OK", sync.set("cond", "1", SetArgs.Builder.nx().px(50_000)));
            assertEquals("OK", sync.mset(java.util.Map.of("a", "1", "b", "2")));
            assertEquals(2, sync.mget("a", "nope", "b").stream().filter(kv -> kv.hasValue()).count());
            assertEquals(2, sync.exists("a", "b", "nope"));
            assertEquals("string", sync.type("a"));
            assertEquals(List.of("a", "b", "cond", "n", "once", "t"), sync.keys("*").stream().sorted().toList());
            assertEquals(6, sync.dbsize());
            var scan = sync.scan(ScanArgs.Builder.matches("o*").limit(1000));
            List<String> found = new ArrayList<>(scan.getKeys());
            while (!scan.isFinished()) {
                scan = sync.scan(scan, ScanArgs.Builder.matches("o*").limit(1000));
                found.addAll(scan.getKeys());
            }
            assertEquals(List.of("once"), found);
            assertTrue(sync.info().contains("redis_version:"));
            assertTrue(sync.info("server").contains("redis_version:"));
            assertEquals("OK", sync.clientSetname("lettuce-test"));
            assertEquals("lettuce-test", sync.clientGetname());
            assertTrue(sync.clientId() > 0);
            assertEquals(2, sync.del("a", "b"));

            // Transactions
            assertEquals("OK", sync.multi());
            assertNull(sync.set("tx", "1")); // queued: the reply comes with EXEC
            assertNull(sync.incr("tx"));
            TransactionResult tr = sync.exec();
            assertEquals(List.of("OK", 2L), List.of(tr.get(0), tr.get(1)));

            // Pipelining, as Lettuce's guide shows it: auto-flush off, many commands, one flush.
            RedisAsyncCommands<String, String> async = conn.async();
            conn.setAutoFlushCommands(false);
            List<RedisFuture<?>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) futures.add(async.set("k" + i, "v" + i));
            for (int i = 0; i < 200; i++) futures.add(async.get("k" + i));
            conn.flushCommands();
            assertTrue(LettuceFutures.awaitAll(10, TimeUnit.SECONDS, futures.toArray(new RedisFuture[0])));
            conn.setAutoFlushCommands(true);
            for (int i = 0; i < 200; i++) assertEquals("v" + i, futures.get(200 + i).get());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kv", "redis-server"})
    void redisPy(String server) throws Exception {
        String python = Tools.pythonWithRedis();
        Path script = Files.createTempFile("redis_py_everyday", ".py");
        try (var in = KvClientLibrariesTest.class.getResourceAsStream("/kv/redis_py_everyday.py")) {
            Files.write(script, in.readAllBytes());
            Path out = Files.createTempFile("redis_py", ".out");
            Process p = new ProcessBuilder(python, script.toString(), Integer.toString(port(server)))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), "redis-py still running after 120 s");
                String text = Files.readString(out);
                assertEquals(0, p.exitValue(), text);
                assertTrue(text.startsWith("ok "), text);
                assertTrue(Integer.parseInt(text.strip().substring(3)) >= 50, text);
            } finally {
                p.destroyForcibly();
                Files.deleteIfExists(out);
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
