#!/usr/bin/env bash
# Idle (issue 6, target 6): the dashboard's CPU use when nothing happens,
# read from /proc over 30 s while it runs in a real terminal (tmux, 200x50):
#   - "run": `chatdeck run` with no Comm100 API configured: the listener and
#     the dashboard, nothing arriving; only the clock ticks;
#   - "demo": `chatdeck demo --speed 0`: the scenario held still, the fake
#     Comm100 API (in the same process) polled every 5 s, the demo's
#     interval: a poll, its snapshots journalled or found unchanged, a
#     redraw, every 5 s.
# Target: under 1% of one CPU (for "run": nothing happening).
#
#   bench/idle.sh                    # 3 runs of 30 s each
#   RUNS=1 SECONDS_IDLE=60 bench/idle.sh
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_IDLE=${SECONDS_IDLE:-30}
WARMUP=${WARMUP:-10}
need_pkg tmux tmux
build chatdeck cmd/chatdeck
machine
SOCK="chatdeck-bench-$$"
tmuxb() { tmux -L "$SOCK" "$@"; }
stop_tmux() { tmuxb kill-server 2>/dev/null || true; }
trap 'stop_tmux; cleanup' EXIT INT TERM
TCK=$(getconf CLK_TCK)

ticks() { # PID: utime+stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

measure() { # MODE ARGS...: prints the CPU % of one run
  local mode=$1
  shift
  local dir="$BENCH_DIR/idle-$mode"
  rm -rf "$dir"
  mkdir -p "$dir"
  local port
  port=$(free_port)
  tmuxb new-session -d -s idle -x 200 -y 50 \
    "exec env XDG_STATE_HOME='$dir' XDG_CONFIG_HOME='$dir' '$BIN/chatdeck' $* --listen 127.0.0.1:$port --token bench-token --db '$dir/journal.db'"
  local pid
  pid=$(tmuxb list-panes -t idle -F '#{pane_pid}')
  sleep "$WARMUP"
  if ! kill -0 "$pid" 2>/dev/null; then
    log "chatdeck $* exited: $(cat "$dir"/chatdeck/chatdeck.log 2>/dev/null | tail -3)"
    return 1
  fi
  local t0 t1
  t0=$(ticks "$pid")
  sleep "$SECONDS_IDLE"
  t1=$(ticks "$pid")
  stop_tmux
  awk -v d="$((t1 - t0))" -v hz="$TCK" -v s="$SECONDS_IDLE" 'BEGIN {printf "%.3f\n", d / hz / s * 100}'
}

for mode in run demo; do
  args=$mode
  [ "$mode" = demo ] && args="demo --speed 0"
  vals=()
  for r in $(seq "$RUNS"); do
    v=$(measure "$mode" $args)
    echo "run $r $mode: $v% CPU over ${SECONDS_IDLE}s"
    vals+=("$v")
  done
  m=$(printf '%s\n' "${vals[@]}" | median)
  awk -v m="$m" -v mode="$mode" 'BEGIN {printf "median %s: %.3f%% of one CPU (target < 1%%: %s)\n", mode, m, (m < 1 ? "met" : "NOT met")}'
done
