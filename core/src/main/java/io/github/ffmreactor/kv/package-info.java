/**
 * The {@code kv} server: an in-memory key-value store that speaks the Redis protocol (RESP2 and
 * RESP3) well enough for redis-cli, redis-benchmark, Jedis, Lettuce and redis-py. Split by job:
 * the resumable request parser, the reply writer and per-connection outbox, the SipHash-keyed
 * store, one table of commands (name, arity, flags, handler), transactions and the session a
 * connection carries. {@code cli} parses its options and starts it.
 *
 * <p>Not exported: a program built on the library's API, as an embedder's would be.
 */
package io.github.ffmreactor.kv;
