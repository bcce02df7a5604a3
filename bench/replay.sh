#!/usr/bin/env bash
# Replay (issue 6, target 5): start-up on a journal of 1,000,000 events of
# the demo scenario (~20 days of a busy contact centre, all three vendors).
# Each run is a fresh process opening the hub as `chatdeck serve` does; it
# prints how long until the board was ready, in events/s, and the memory
# left live afterwards and at the peak.
#   - full: no checkpoint to start from (a first start, a new version or
#     board configuration): the whole journal replayed;
#   - checkpoint: the board saved by a clean exit restored (tail 0), and a
#     checkpoint TAIL events behind the end (the most a crash between two
#     saves leaves to replay at 1,000 events/s for 100 s), then the tail
#     replayed.
# The journal is made once (a minute or two) and kept in $BENCH_DIR. With a
# smaller journal too, to show that memory is bounded by the board's
# retention, not by the journal's length.
#
#   bench/replay.sh                  # 5 runs each, on 250,000 and 1,000,000 events
#   EVENTS="1000000" RUNS=3 TAIL=50000 bench/replay.sh
source "$(dirname "$0")/lib.sh"

EVENTS=${EVENTS:-"250000 1000000"}
RUNS=${RUNS:-5}
TAIL=${TAIL:-100000}

build replay bench/replay
machine

# runs LABEL ARGS...: RUNS measurements, then their medians.
runs() {
  local label=$1 line
  shift
  local secs=() rate=() heap=() rss=() evs=()
  for run in $(seq "$RUNS"); do
    line=$("$BIN/replay" "$@")
    echo "run $run: $line"
    secs+=("$(field "$line" seconds)") rate+=("$(field "$line" events_per_s)") evs+=("$(field "$line" events)")
    heap+=("$(field "$line" live_heap_mb)") rss+=("$(field "$line" peak_rss_mb)")
  done
  printf 'median of %d runs, %s: ready in %s s, %s events replayed at %s events/s, live heap %s MiB, peak RSS %s MiB\n\n' "$RUNS" "$label" \
    "$(printf '%s\n' "${secs[@]}" | median)" "$(printf '%s\n' "${evs[@]}" | median)" "$(printf '%s\n' "${rate[@]}" | median)" \
    "$(printf '%s\n' "${heap[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median)"
}

for n in $EVENTS; do
  db="$BENCH_DIR/replay-$n/journal.db"
  mkdir -p "$(dirname "$db")"
  "$BIN/replay" -make -events "$n" -db "$db"
  runs "$n events, whole journal (no checkpoint)" -db "$db"
  for tail in 0 "$TAIL"; do
    "$BIN/replay" -checkpoint -tail "$tail" -db "$db"
    runs "$n events, from a checkpoint $tail events before the end" -from-checkpoint -db "$db"
  done
done
