#!/usr/bin/env bash
# Latency (issue 6, target 2): from a webhook's POST to its event arriving
# at a WebSocket client of /v1/stream, at 1,000 webhooks a second (open
# loop: each POST starts on schedule whatever the answers before it).
# Prints p50, p90, p99 and max of each run and the medians of the runs.
#
#   bench/latency.sh                 # 5 runs of 20 s, one client
#   RUNS=3 DURATION=60 RATE=2000 bench/latency.sh
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
DURATION=${DURATION:-20}
RATE=${RATE:-1000}
CLIENTS=${CLIENTS:-1}
TOKEN=bench-token
LABEL=${LABEL:-latency}

build chatdeck cmd/chatdeck
build loadgen bench/loadgen
machine
echo "$RATE webhooks/s for ${DURATION}s to chatdeck serve, $CLIENTS stream client(s), $RUNS runs"

p50=() p99=() mx=() cpu=() fails=0
for run in $(seq "$RUNS"); do
  dir="$BENCH_DIR/$LABEL-run"
  rm -rf "$dir"
  port=$(free_port)
  start_serve "$dir" "$port" "$TOKEN"
  c0=$(cpu_seconds "$SERVE_PID") s0=$(date +%s.%N)
  out=$("$BIN/loadgen" stream -url "http://127.0.0.1:$port" -token "$TOKEN" -rate "$RATE" \
    -duration "${DURATION}s" -clients "$CLIENTS") || fails=$((fails + 1))
  c1=$(cpu_seconds "$SERVE_PID") s1=$(date +%s.%N)
  stop "$SERVE_PID"
  srv=$(awk -v c="$c1" -v d="$c0" -v t="$s1" -v u="$s0" 'BEGIN {printf "%.1f", (c - d) / (t - u) * 100}')
  cpu+=("$srv")
  echo "run $run: $(echo "$out" | tr '\n' ' ')server_cpu=$srv%"
  lat=$(echo "$out" | grep '^LATENCY')
  p50+=("$(field "$lat" p50)") p99+=("$(field "$lat" p99)") mx+=("$(field "$lat" max)")
done
echo
printf 'median of %d runs: POST -> stream client p50 %s ms, p99 %s ms, max %s ms\n' "$RUNS" \
  "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)" "$(printf '%s\n' "${mx[@]}" | median)"
printf 'chatdeck serve used %s%% of one CPU meanwhile (median; its own process, from /proc)\n' "$(printf '%s\n' "${cpu[@]}" | median)"
if [ "$fails" -gt 0 ]; then
  echo "$fails run(s) missed events or had a client dropped"
  exit 1
fi
echo "every event reached every client, none dropped"
