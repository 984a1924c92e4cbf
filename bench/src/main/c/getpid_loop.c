/*
 * The bare cost of the cheapest real system call, for the FFM overhead comparison: times
 * syscall(SYS_getpid) (glibc no longer caches getpid, but the raw syscall makes sure) in a loop
 * and prints "C getpid: <ns> ns per call (<n> calls)".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
    const long n = 5000000;
    long sink = 0;
    for (long i = 0; i < n / 10; i++) sink += syscall(SYS_getpid);
    double best = 1e18;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long i = 0; i < n; i++) sink += syscall(SYS_getpid);
        double ns = (now() - t0) / n;
        if (ns < best) best = ns;
    }
    printf("C getpid: %.1f ns per call (best of 5 rounds of %ld calls; sink %ld)\n", best, n, sink & 1);
    return 0;
}
