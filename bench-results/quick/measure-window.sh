#!/usr/bin/env bash
# The 22:00-22:30 UTC measurement window, run from /tmp/mergetest (branch bench merged with main,
# so the poll and select backends are in): quick profile, perf user time, strace counts, -prof gc.
set -uo pipefail
flag=/work/BENCH_RUNNING
trap 'rm -f "$flag"' EXIT INT TERM
echo "bench helper measuring until about 22:25 UTC (pid $$)" > "$flag"
cd /tmp/mergetest
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
jar=bench/target/benchmarks.jar
res=bench-results/quick
{
  echo "== start $(date -u) loadavg $(cat /proc/loadavg)"
  bench/run-bench quick
  echo "code:     branch bench $(git -C /work/wt-bench rev-parse --short bench) (main d5943b2 + the epoll_wait allocation fix), built in /tmp/mergetest" >> $res/machine.txt
  echo "== quick done $(date -u) loadavg $(cat /proc/loadavg)"
  for c in 1 16; do
    for s in c-epoll ffm-edge ffm-level nio netty-epoll; do /tmp/perfuser.sh $s $c; done
  done
  echo "== perf done $(date -u)"
  for c in 16 256; do
    for s in c-epoll ffm-edge ffm-level ffm-poll ffm-select nio netty-epoll; do
      timeout 120 $J -jar $jar load --server $s --connections $c --size 64 --warmup 2s --duration 3s \
        --strace yes | grep -E '^(strace|result)'
    done
  done
  echo "== strace done $(date -u)"
  $J -jar $jar jmh EchoBench -p server=ffm-edge,ffm-level,c-epoll -p connections=16 -p size=64 -p depth=1 \
     -wi 2 -w 1s -i 3 -r 3s -f 1 -prof gc -jvmArgsAppend "-Dffmreactor.bench.cells=/tmp/gc-cells.jsonl" \
     | grep -E '^(EchoBench|Iteration|\s+gc.alloc.rate.norm)'
  echo "== end $(date -u) loadavg $(cat /proc/loadavg)"
} 2>&1 | tee /tmp/measure.log
