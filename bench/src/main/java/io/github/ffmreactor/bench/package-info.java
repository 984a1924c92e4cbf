/**
 * The benchmarks and their tools, packed into {@code benchmarks.jar}: the JMH benchmarks (the echo
 * round trip against a C epoll server, java.nio, Netty and virtual threads; the cost of an FFM
 * call; heap writes), the echo servers they compare, each run as its own process, the load client
 * that checks every echoed byte, the CPU, counter and syscall measurements, the io_uring, UDP and
 * kv comparisons, and the HTML report. {@link io.github.ffmreactor.bench.BenchMain} dispatches the
 * subcommands ({@code server}, {@code load}, {@code smoke}, {@code report}, ...) and hands any other
 * command line to JMH.
 */
package io.github.ffmreactor.bench;
