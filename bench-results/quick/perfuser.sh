#!/usr/bin/env bash
# perfuser.sh IMPL CONNECTIONS [SIZE]: user-mode CPU of one bench server per round trip, from
# perf cpu-clock:u sampling at 4 kHz over 10 s of load (an independent check of /proc's
# tick-sampled utime). Run from the repository root after ./mvnw package; needs perf and a JDK 25.
# The server JVM dumps its JIT symbols at exit (-XX:+DumpPerfMapAtExit), so
# `perf report -i /tmp/pu-IMPL-N-SIZE.data --sort sym` names the Java methods.
set -euo pipefail
impl=$1; conns=$2; size=${3:-64}
J=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}; JAR=bench/target/benchmarks.jar
out=/tmp/pu-$impl-$conns-$size
"$J" --enable-native-access=ALL-UNNAMED -Xms256m -Xmx256m -XX:+UseParallelGC -XX:+UnlockDiagnosticVMOptions \
  -XX:+DumpPerfMapAtExit -cp $JAR io.github.ffmreactor.bench.BenchMain server "$impl" --port 0 > $out.srv 2>&1 < <(sleep 24) &
for _ in $(seq 100); do grep -q 'ready port=' $out.srv 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o 'port=[0-9]*' $out.srv | cut -d= -f2); PID=$(grep -o ' pid=[0-9]*' $out.srv | cut -d= -f2)
"$J" --enable-native-access=ALL-UNNAMED -jar $JAR load --port "$PORT" --pid "$PID" --connections "$conns" --size "$size" \
  --warmup 3s --duration 14s > $out.load 2>&1 &
lp=$!
sleep 5
timeout 10 perf record -e cpu-clock:u -F 4000 -p "$PID" -o $out.data > /dev/null 2>&1 || true
wait $lp
rate=$(grep -oE 'result .*: [0-9,]+ round trips/s' $out.load | grep -oE '[0-9,]+ round trips' | tr -d ', a-z')
ns=$(perf report -i $out.data --stdio 2>/dev/null | grep -oE 'Event count \(approx.\): [0-9]+' | grep -oE '[0-9]+$')
awk -v r="$rate" -v ns="$ns" -v s="$impl" -v c="$conns" -v z="$size" 'BEGIN {
  printf "perf-user %s %dc x %dB: %.0f rt/s, user %.3f us/rt (%d samples)\n", s, c, z, r, ns/1000/(r*10), ns/250000 }'
sleep 9
