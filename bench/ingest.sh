#!/usr/bin/env bash
# Ingest throughput (issue 6, target 1): `chatdeck serve` under wrk posting
# the spec payloads (each made unique, so that every one is decoded,
# journalled with its fsync, applied to the board and streamed to a
# connected client), against a no-op net/http handler under the same wrk
# command, run after run. Prints each run's requests/s and p99, the medians
# and the ratio serve/no-op (target ≥ 0.5), for each wrk concurrency in
# CONNS, with what bounds serve: how busy both CPUs were during its runs
# (wrk shares them), and the disk's append + fsync time (loadgen fsync),
# from which the most a journal that fsyncs every commit could answer at
# that concurrency (one commit per round of the connections' requests).
#
#   bench/ingest.sh                 # 5 runs of 15 s, wrk -t2 -c64 then -c256
#   RUNS=3 DURATION=30 CONNS=128 bench/ingest.sh
#   WATCHERS=0 bench/ingest.sh      # without the stream client
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
DURATION=${DURATION:-15}
THREADS=${THREADS:-2}
CONNS_LIST=${CONNS:-"64 256"}
WATCHERS=${WATCHERS:-1}
TOKEN=bench-token

need_pkg wrk wrk
build chatdeck cmd/chatdeck
build noop bench/noop
build loadgen bench/loadgen
"$BIN/loadgen" wrk-script -token "$TOKEN" -out "$BENCH_DIR/ingest.lua"

machine
fsync=$("$BIN/loadgen" fsync -dir "$BENCH_DIR" -bytes 4096 -n 300)
fsync_p50=$(field "$fsync" p50_us)
echo "append + fsync of 4 KiB on the journal's disk: p50 $fsync_p50 µs, p99 $(field "$fsync" p99_us) µs"

wrk_run() { # URL: prints wrk's WRK line
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/ingest.lua" "$1" | grep '^WRK'
}

med() { printf '%s\n' "$@" | median; }

# sweep: RUNS runs of noop then serve at $CONNS connections, and the medians.
sweep() {
  echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, $RUNS runs, $WATCHERS stream client(s) on serve"
  local noop_rps=() serve_rps=() noop_p99=() serve_p99=() serve_cpu=() noop_busy=() serve_busy=()
  local run port pid line dir watch_pid c0 c1 per non2xx t0
  for run in $(seq "$RUNS"); do
    port=$(free_port)
    "$BIN/noop" -listen "127.0.0.1:$port" >/dev/null &
    pid=$!
    PIDS+=("$pid")
    wait_http "127.0.0.1:$port"
    t0=$(cpu_ticks)
    line=$(wrk_run "http://127.0.0.1:$port")
    noop_busy+=("$(busy_since "$t0")")
    stop "$pid"
    noop_rps+=("$(field "$line" rps)")
    noop_p99+=("$(field "$line" lat_p99_us)")
    echo "run $run noop:  $line"

    dir="$BENCH_DIR/ingest-run"
    rm -rf "$dir"
    port=$(free_port)
    start_serve "$dir" "$port" "$TOKEN"
    watch_pid=""
    if [ "$WATCHERS" -gt 0 ]; then
      "$BIN/loadgen" watch -url "http://127.0.0.1:$port" -token "$TOKEN" -clients "$WATCHERS" \
        -duration "$((DURATION + 5))s" >"$dir/watch" &
      watch_pid=$!
      PIDS+=("$watch_pid")
      sleep 0.5
    fi
    c0=$(cpu_seconds "$SERVE_PID") t0=$(cpu_ticks)
    line=$(wrk_run "http://127.0.0.1:$port")
    c1=$(cpu_seconds "$SERVE_PID")
    serve_busy+=("$(busy_since "$t0")")
    [ -z "$watch_pid" ] || stop "$watch_pid"
    stop "$SERVE_PID"
    per=$(awk -v c="$c1" -v d="$c0" -v n="$(field "$line" requests)" 'BEGIN {printf "%.0f", (c - d) / n * 1e6}')
    serve_cpu+=("$per")
    non2xx=$(field "$line" non2xx)
    if [ "$non2xx" != 0 ]; then
      log "warning: serve answered $non2xx requests with an error status"
    fi
    serve_rps+=("$(field "$line" rps)")
    serve_p99+=("$(field "$line" lat_p99_us)")
    echo "run $run serve: $line cpu_per_request_us=$per $(cat "$dir/watch" 2>/dev/null || true)"
  done

  local n_rps s_rps n_p99 s_p99
  n_rps=$(med "${noop_rps[@]}") s_rps=$(med "${serve_rps[@]}")
  n_p99=$(med "${noop_p99[@]}") s_p99=$(med "${serve_p99[@]}")
  printf 'median noop  at -c%s: %.0f req/s, p99 %.2f ms\n' "$CONNS" "$n_rps" "$(echo "$n_p99" | awk '{print $1/1000}')"
  printf 'median serve at -c%s: %.0f req/s, p99 %.2f ms, CPU per request %s µs (its own process, from /proc)\n' \
    "$CONNS" "$s_rps" "$(echo "$s_p99" | awk '{print $1/1000}')" "$(med "${serve_cpu[@]}")"
  printf 'both CPUs in use (median): %s%% during the noop runs, %s%% during the serve runs\n' \
    "$(med "${noop_busy[@]}")" "$(med "${serve_busy[@]}")"
  awk -v p="$fsync_p50" -v c="$CONNS" 'BEGIN {printf "fsync ceiling at -c%s: %.0f req/s (%s requests per commit, one fsync of %s µs each)\n", c, c / p * 1e6, c, p}'
  awk -v s="$s_rps" -v n="$n_rps" -v c="$CONNS" 'BEGIN {r = s / n; printf "ratio serve/noop at -c%s: %.3f (target >= 0.5: %s)\n\n", c, r, (r >= 0.5 ? "met" : "NOT met")}'
}

for CONNS in $CONNS_LIST; do
  sweep
done
