#!/usr/bin/env bash
# chatdeck report (issue 16) on the journal of 1,000,000 events that
# bench/replay.sh uses (the demo scenario, ~20 days of a busy contact
# centre, all three vendors; made once and kept in $BENCH_DIR). Each run is
# the real binary reporting the whole journal (--since 30d) by source and by
# agent to /dev/null, as CSV; it prints the wall time, the events per
# second, and the process's peak resident memory (from /usr/bin/time), to
# show that memory is bounded by the board's retention, not by the
# journal's length (compare with the 250,000-event journal).
#
#   bench/report.sh                     # 5 runs each, on 250,000 and 1,000,000 events
#   EVENTS=1000000 RUNS=3 bench/report.sh
source "$(dirname "$0")/lib.sh"

EVENTS=${EVENTS:-"250000 1000000"}
RUNS=${RUNS:-5}
BYS=${BYS:-"source agent"}

build chatdeck cmd/chatdeck
build replay bench/replay
machine

for n in $EVENTS; do
  db="$BENCH_DIR/replay-$n/journal.db"
  mkdir -p "$(dirname "$db")"
  "$BIN/replay" -make -events "$n" -db "$db"
  for by in $BYS; do
    secs=() rate=() rss=()
    for run in $(seq "$RUNS"); do
      out=$( { /usr/bin/time -f 'time %e %M' "$BIN/chatdeck" report --db "$db" --since 30d --by "$by" \
        --format csv --timezone UTC >/dev/null; } 2>&1 | grep '^time ')
      s=$(echo "$out" | cut -d' ' -f2) kb=$(echo "$out" | cut -d' ' -f3)
      r=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.0f", n / s}')
      echo "run $run: $n events by $by: seconds=$s events_per_s=$r peak_rss_mb=$((kb / 1024))"
      secs+=("$s") rate+=("$r") rss+=("$((kb / 1024))")
    done
    printf 'median of %d runs, %s events by %s: %s s, %s events/s, peak RSS %s MiB\n\n' "$RUNS" "$n" "$by" \
      "$(printf '%s\n' "${secs[@]}" | median)" "$(printf '%s\n' "${rate[@]}" | median)" \
      "$(printf '%s\n' "${rss[@]}" | median)"
  done
done
