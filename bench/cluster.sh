#!/usr/bin/env bash
# Cluster mode (issue 19): ingest throughput of three `chatdeck serve` nodes
# in one cluster on this machine (embedded NATS, an R3 stream synced on every
# write, each webhook answered once the quorum acked it and the node's own
# board applied it) beside one single-node `chatdeck serve`, under the same
# wrk command as bench/ingest.sh, run after run; then the failover stall:
# loadgen posts to all three nodes (moving on when one fails, as a load
# balancer would), the stream's leader is killed with SIGKILL, and the time
# from the kill to the first 2xx to a webhook sent after it is printed.
#
#   bench/cluster.sh                    # 3 runs, wrk -t2 -c64 -d15s
#   RUNS=5 DURATION=30 CONNS=128 bench/cluster.sh
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
DURATION=${DURATION:-15}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
TOKEN=bench-token

need_pkg wrk wrk
build chatdeck cmd/chatdeck
build loadgen bench/loadgen
"$BIN/loadgen" wrk-script -token "$TOKEN" -out "$BENCH_DIR/ingest.lua"
machine

wrk_run() { # URL: prints wrk's WRK line
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/ingest.lua" "$1" | grep '^WRK'
}
med() { printf '%s\n' "$@" | median; }

# start_cluster DIR: starts three nodes with their state under DIR; sets
# NODE_PIDS and NODE_URLS.
start_cluster() {
  local dir=$1 i peers="" ports=() http=()
  for i in 0 1 2; do
    ports+=("$(free_port)")
    http+=("$(free_port)")
  done
  peers="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
  NODE_PIDS=() NODE_URLS=()
  for i in 0 1 2; do
    mkdir -p "$dir/n$i"
    XDG_STATE_HOME="$dir/n$i" XDG_CONFIG_HOME="$dir/n$i" CHATDECK_WEBHOOK_RATE=0 \
      "$BIN/chatdeck" serve --listen "127.0.0.1:${http[$i]}" --token "$TOKEN" --db "$dir/n$i/journal.db" \
      --cluster-name bench --node "n$i" --cluster-listen "127.0.0.1:${ports[$i]}" --cluster-peers "$peers" \
      --log-file "$dir/n$i/chatdeck.log" --log-level warn >"$dir/n$i/stdout" 2>&1 &
    NODE_PIDS+=("$!")
    PIDS+=("$!")
    NODE_URLS+=("http://127.0.0.1:${http[$i]}")
  done
  for i in 0 1 2; do
    wait_http "127.0.0.1:${http[$i]}"
  done
}

# stream_leader URL: the node (0, 1 or 2) the journal stream's leader runs on.
stream_leader() {
  curl -s "$1/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["peers"][0][1:])'
}

single_rps=() single_p99=() cluster_rps=() cluster_p99=() stalls=()
for run in $(seq "$RUNS"); do
  dir="$BENCH_DIR/cluster-single"
  rm -rf "$dir"
  port=$(free_port)
  start_serve "$dir" "$port" "$TOKEN"
  line=$(wrk_run "http://127.0.0.1:$port")
  stop "$SERVE_PID"
  single_rps+=("$(field "$line" rps)") single_p99+=("$(field "$line" lat_p99_us)")
  echo "run $run single node: $line"

  dir="$BENCH_DIR/cluster-run"
  rm -rf "$dir"
  start_cluster "$dir"
  line=$(wrk_run "${NODE_URLS[0]}")
  [ "$(field "$line" non2xx)" = 0 ] || log "warning: the cluster answered $(field "$line" non2xx) requests with an error status"
  cluster_rps+=("$(field "$line" rps)") cluster_p99+=("$(field "$line" lat_p99_us)")
  echo "run $run cluster (3 nodes, wrk on n0): $line"

  leader=$(stream_leader "${NODE_URLS[0]}")
  fo=$("$BIN/loadgen" failover -urls "$(IFS=,; echo "${NODE_URLS[*]}")" -token "$TOKEN" -kill "${NODE_PIDS[$leader]}" \
    -after 5s -duration 25s)
  echo "run $run failover (SIGKILL of the stream leader n$leader): $fo"
  stalls+=("$(field "$fo" stall_ms)")
  for pid in "${NODE_PIDS[@]}"; do stop "$pid"; done 2>/dev/null
done

printf 'median single node at -c%s: %.0f req/s, p99 %.2f ms\n' "$CONNS" "$(med "${single_rps[@]}")" \
  "$(med "${single_p99[@]}" | awk '{print $1/1000}')"
printf 'median cluster     at -c%s: %.0f req/s, p99 %.2f ms\n' "$CONNS" "$(med "${cluster_rps[@]}")" \
  "$(med "${cluster_p99[@]}" | awk '{print $1/1000}')"
printf 'failover stall (SIGKILL of the stream leader to the first 2xx): median %s ms, runs %s\n' \
  "$(med "${stalls[@]}")" "${stalls[*]}"
