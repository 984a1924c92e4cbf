/**
 * The command-line servers behind {@code java -jar ffmreactor-core.jar <command>}: {@code echo},
 * {@code upper}, {@code chat}, {@code udp-chat}, {@code udp-echo}, {@code kv} (its server is the
 * {@code kv} package) and the line {@code client}.
 * {@link io.github.ffmreactor.cli.Main} picks the command and its options are parsed and checked
 * against the names it takes; what every TCP server shares (one loop or a group, the ready line,
 * a graceful stop on SIGINT or SIGTERM, the counters line) is written once. The servers are built
 * on the library's exported API, as an embedder's code would be (the client also names errno
 * values from {@code sys}).
 *
 * <p>Not exported: the commands are a program, not an API.
 */
package io.github.ffmreactor.cli;
