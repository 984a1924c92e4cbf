#define _GNU_SOURCE
#include <stdlib.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
static _Atomic long flag __attribute__((aligned(64)));
static volatile int stop;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void pin(int c){cpu_set_t s;CPU_ZERO(&s);CPU_SET(c,&s);pthread_setaffinity_np(pthread_self(),sizeof s,&s);}
static void* pong(void*a){pin(1); while(!stop){ long v=atomic_load(&flag); if(v&1) atomic_store(&flag,v+1);} return 0;}
int main(int argc,char**argv){int secs=atoi(argv[1]); pthread_t t; pthread_create(&t,0,pong,0); pin(0);
 for(int s=0;s<secs;s++){ double t0=now(); long n=0; while(now()-t0<1.0){ for(int i=0;i<1000;i++){ long v=atomic_load(&flag); atomic_store(&flag,v+1); while(atomic_load(&flag)==v+1); } n+=1000; } printf("%ld ", n/1000); fflush(stdout);} stop=1; printf("\n"); return 0;}
