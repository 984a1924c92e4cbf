#!/usr/bin/env bash
# perfuser.sh IMPL CONNECTIONS: user-mode CPU of the server per round trip from perf cpu-clock:u
# sampling at 4 kHz over 10 s of load (an independent check of /proc's tick-sampled utime).
impl=$1; conns=$2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java; JAR=/tmp/mergetest/bench/target/benchmarks.jar
out=/tmp/pu-$impl-$conns
if [ "$impl" = c-epoll ]; then
  BIN=$(ls -t /tmp/mergetest/bench/target/echo_epoll-* | grep -v '\.c$' | head -1)
  $BIN 0 > $out.srv 2>&1 < <(sleep 24) &
else
  extra=""; [ "$impl" = vthreads ] && extra="-Djdk.virtualThreadScheduler.parallelism=1"
  $J --enable-native-access=ALL-UNNAMED -Xms256m -Xmx256m -XX:+UseParallelGC $extra -cp $JAR io.github.ffmreactor.bench.BenchMain server $impl --port 0 > $out.srv 2>&1 < <(sleep 24) &
fi
for i in $(seq 50); do grep -q 'ready port=' $out.srv 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o 'port=[0-9]*' $out.srv | cut -d= -f2); PID=$(grep -o ' pid=[0-9]*' $out.srv | cut -d= -f2)
$J -jar $JAR load --port $PORT --pid $PID --connections $conns --warmup 3s --duration 14s > $out.load 2>&1 &
lp=$!
sleep 5
timeout 10 perf record -e cpu-clock:u -F 4000 -p $PID -o $out.data > /dev/null 2>&1
wait $lp
rate=$(grep -oE 'result .*: [0-9,]+ round trips/s' $out.load | grep -oE '[0-9,]+ round trips' | tr -d ', a-z')
ns=$(perf report -i $out.data --stdio 2>/dev/null | grep -oE 'Event count \(approx.\): [0-9]+' | grep -oE '[0-9]+$')
awk -v r="$rate" -v ns="$ns" -v s="$impl" -v c="$conns" 'BEGIN { printf "perf-user %s %dc: %.0f rt/s, perf user %.3f us per round trip (%d samples)\n", s, c, r, ns/1000/(r*10), ns/250000 }'
grep -A1 '^result' $out.load | tail -1
sleep 8
