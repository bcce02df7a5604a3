#!/usr/bin/env bash
# The in-process benchmarks (go test -bench), each run COUNT times, with
# the medians and the ratios the issue's targets are set on:
#   - board (target 3): Apply on the realistic mix on one core (events/s,
#     target ≥ 1,000,000), cold (every event read from main memory) and
#     warm (each batch in the caches, as just decoded), and the frame's
#     queries on boards of 100 to
#     50,000 rows (flat: O(visible));
#   - render (target 4): a full screen's frame (board reads and View) of the
#     queue and agents panes with 10,000 waiting and 2,000 agents, next to
#     bubbles/table rendering the same rows (ratio ≤ 1);
#   - decode, journal appends and replay reads, for the ingest and replay
#     figures.
#
#   bench/gobench.sh                 # COUNT=5
source "$(dirname "$0")/lib.sh"

COUNT=${COUNT:-5}
machine
out="$BENCH_DIR/gobench.txt"
: >"$out"
run() { # PKG BENCH [FLAGS...]
  local pkg=$1 re=$2
  shift 2
  (cd "$ROOT" && go test -run '^$' -bench "$re" -count "$COUNT" "$@" "./$pkg") | tee -a "$out" | grep '^Benchmark' || true
}
run ingest/board 'Apply$|ApplyWarm$' -cpu 1 -benchtime 5x
run ingest/board 'FrameQueries'
run tui 'Render|RefreshScales|IdleTick'
run ingest/decode 'Decode$|Normalise'
run ingest/journal 'AppendParallel|BenchmarkReplay' -benchtime 2s

# med NAME UNIT: the median of the figure before UNIT on NAME's lines.
med() {
  awk -v name="$1" -v unit="$2" '$1 ~ "^"name"(-[0-9]+)?$" {for (i = 3; i <= NF; i++) if ($(i+1) == unit) print $i}' "$out" | median
}
echo
echo "== medians of $COUNT runs"
for b in Apply ApplyWarm; do
  awk -v v="$(med "Benchmark$b" events/s)" -v b="$b" 'BEGIN {printf "board %s, one core: %.0f events/s (target >= 1,000,000: %s, ratio %.2f)\n", b, v, (v >= 1e6 ? "met" : "NOT met"), v / 1e6}'
done
for size in queue=100/agents=20/active=30 queue=10000/agents=2000/active=3000 queue=50000/agents=10000/active=15000; do
  printf 'frame queries on %-36s' "$size:"
  for q in header queue agents chats; do
    printf ' %s %.1f µs' "$q" "$(med "BenchmarkFrameQueries/$size/$q" ns/op | awk '{print $1/1000}')"
  done
  echo
done
for pane in queue agents wall; do
  f=$(med "BenchmarkRender/$pane/chatdeck/frame" ns/op) v=$(med "BenchmarkRender/$pane/chatdeck/view" ns/op) t=$(med "BenchmarkRender/$pane/table" ns/op)
  awk -v f="$f" -v v="$v" -v t="$t" -v p="$pane" 'BEGIN {printf "render %s: frame %.0f µs (View alone %.0f µs), bubbles/table %.0f µs: ratio frame/table %.2f (target <= 1: %s)\n", p, f/1000, v/1000, t/1000, f/t, (f <= t ? "met" : "NOT met")}'
done
c=$(med "BenchmarkRender/wall/chatdeck/frame-changed" ns/op) t=$(med "BenchmarkRender/wall/table" ns/op)
awk -v c="$c" -v t="$t" 'BEGIN {printf "render wall after a change (departments read again): frame %.0f µs: ratio frame/table %.2f\n", c/1000, c/t}'
for n in 100 10000 50000; do
  printf 'dashboard refresh with %6s rows:' "$n"
  for p in queue agents chats inbox; do
    printf ' %s %.1f µs' "$p" "$(med "BenchmarkRefreshScales/rows=$n/$p" ns/op | awk '{print $1/1000}')"
  done
  echo
done
awk -v v="$(med BenchmarkIdleTick ns/op)" 'BEGIN {printf "idle tick (Update + View, big board): %.0f µs\n", v/1000}'
awk -v v="$(med BenchmarkDecode events/s)" 'BEGIN {printf "decode: %.0f webhooks/s on one goroutine\n", v}'
awk -v v="$(med BenchmarkAppendParallel appends/s)" 'BEGIN {printf "journal appends (32 in flight): %.0f/s\n", v}'
awk -v v="$(med BenchmarkReplay records/s)" 'BEGIN {printf "journal replay reads: %.0f records/s\n", v}'
