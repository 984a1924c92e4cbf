/*
 * core_to_core SECONDS CPU_A CPU_B: one cache line passed back and forth between a thread pinned
 * to CPU_A and one pinned to CPU_B; prints, each second, the round trips it made in thousands
 * (one number per second, space-separated, then a newline). Every echo round trip between a
 * client and a server on different CPUs pays this latency several times; on a virtual machine
 * whose host moves the vCPUs between cores that share a cache and cores that do not, it changes
 * while the machine runs, and so do the benchmarks that cross between cores.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) _Atomic long turn;
static _Atomic int done;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *answer(void *arg) {
    if (pin(*(int *) arg) != 0) {
        fprintf(stderr, "core_to_core: cannot run on CPU %d\n", *(int *) arg);
        exit(2);
    }
    while (!atomic_load(&done)) {
        long v = atomic_load(&turn);
        if (v & 1) atomic_store(&turn, v + 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: core_to_core SECONDS CPU_A CPU_B\n");
        return 2;
    }
    int seconds = atoi(argv[1]), a = atoi(argv[2]), b = atoi(argv[3]);
    pthread_t t;
    if (seconds < 1 || pthread_create(&t, NULL, answer, &b) != 0) return 2;
    if (pin(a) != 0) {
        fprintf(stderr, "core_to_core: cannot run on CPU %d\n", a);
        return 2;
    }
    for (int s = 0; s < seconds; s++) {
        double end = now() + 1.0;
        long n = 0;
        while (now() < end) {
            for (int i = 0; i < 1000; i++) {
                long v = atomic_load(&turn) + 1; /* odd: the other thread's turn */
                atomic_store(&turn, v);
                while (atomic_load(&turn) == v) {
                }
            }
            n += 1000;
        }
        printf("%ld%s", n / 1000, s + 1 < seconds ? " " : "\n");
        fflush(stdout);
    }
    atomic_store(&done, 1);
    pthread_join(t, NULL);
    return 0;
}
