#!/usr/bin/env bash
# Replay (issue 6, target 5): start-up on a journal of 1,000,000 events of
# the demo scenario (~20 days of a busy contact centre, all three vendors):
# how long opening the hub takes (the board rebuilt from the journal), in
# events/s, and the memory left live afterwards and at the peak. Each run
# is a fresh process; the journal is made once (a minute or two) and kept
# in $BENCH_DIR. With a smaller journal too, to show that the memory is
# bounded by the board's retention, not by the journal's length.
#
#   bench/replay.sh                  # 5 runs on 1,000,000 events, 3 on 250,000
#   EVENTS="1000000" RUNS=3 bench/replay.sh
source "$(dirname "$0")/lib.sh"

EVENTS=${EVENTS:-"250000 1000000"}
RUNS=${RUNS:-5}

build replay bench/replay
machine
for n in $EVENTS; do
  db="$BENCH_DIR/replay-$n/journal.db"
  mkdir -p "$(dirname "$db")"
  "$BIN/replay" -make -events "$n" -db "$db"
  secs=() rate=() heap=() rss=()
  for run in $(seq "$RUNS"); do
    line=$("$BIN/replay" -db "$db")
    echo "run $run: $line"
    secs+=("$(field "$line" seconds)") rate+=("$(field "$line" events_per_s)")
    heap+=("$(field "$line" live_heap_mb)") rss+=("$(field "$line" peak_rss_mb)")
  done
  printf 'median of %d runs on %s events: ready in %s s, %s events/s, live heap %s MiB, peak RSS %s MiB\n\n' "$RUNS" "$n" \
    "$(printf '%s\n' "${secs[@]}" | median)" "$(printf '%s\n' "${rate[@]}" | median)" \
    "$(printf '%s\n' "${heap[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median)"
done
