#include <stdio.h>
#include <time.h>
#include <stdint.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int c,char**v){ volatile uint64_t x=1; int secs=60; double end=now()+secs;
 while(now()<end){ double t0=now(); uint64_t n=0; while(now()-t0<1.0){ for(int i=0;i<100000;i++){ x=x*6364136223846793005ULL+1442695040888963407ULL; } n++; }
 printf("%lu ", (unsigned long)n); fflush(stdout);} printf("\n"); return 0; }
