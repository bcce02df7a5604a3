# Shared by the bench/*.sh scripts: sourced, not run.
# Needs only Go; installs wrk and tmux from Debian's packages when missing.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-${TMPDIR:-/tmp}/chatdeck-bench}"
BIN="$BENCH_DIR/bin"
mkdir -p "$BIN"

# Processes the script started, stopped on exit by their pid.
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT INT TERM

log() { printf '%s\n' "$*" >&2; }

# need_pkg CMD PKG: installs the Debian package PKG if CMD is missing.
need_pkg() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing $2 (apt-get)"
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq "$2" >/dev/null
}

# build NAME PKG: builds the Go main PKG (relative to the repo) into $BIN/NAME.
# CHATDECK_BIN=/path/to/chatdeck uses that binary instead of building one
# (to measure another build with the same harness).
build() {
  if [ "$1" = chatdeck ] && [ -n "${CHATDECK_BIN:-}" ]; then
    cp "$CHATDECK_BIN" "$BIN/chatdeck"
    return
  fi
  (cd "$ROOT" && go build -o "$BIN/$1" "./$2")
}

# machine prints what the figures were measured on, and how busy the
# machine was just before (CPU use over 2 s, from /proc/stat).
machine() {
  local cpu busy
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  printf 'machine: %s, %s CPUs, %s GiB RAM, %s, %s\n' "$cpu" "$(nproc)" \
    "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" "$(uname -sr)" "$(go version | cut -d' ' -f3)"
  busy=$(cpu_busy 2)
  printf 'CPU in use before the run: %s%% (of all CPUs, over 2 s)\n' "$busy"
  if awk -v b="$busy" 'BEGIN {exit !(b > 10)}'; then
    log "warning: the machine is busy ($busy% CPU in use): figures will be low and noisy"
  fi
}

# cpu_busy SECONDS: the percentage of all CPUs in use over SECONDS.
cpu_busy() {
  local a
  a=$(cpu_ticks)
  sleep "$1"
  busy_since "$a"
}

# cpu_ticks: the ticks all CPUs have been busy, and all their ticks, so far.
cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

# busy_since TICKS: the percentage of all CPUs in use since cpu_ticks said TICKS.
busy_since() { echo "$1 $(cpu_ticks)" | awk '{printf "%.0f", ($3 - $1) / ($4 - $2) * 100}'; }

# cpu_seconds PID: the CPU time (user and system) a process has used.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$1/stat"
}

# median: the median of the numbers on stdin, one a line.
median() {
  sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# field LINE KEY: the value of key=value in LINE.
field() {
  printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2; exit}'
}

# free_port: a loopback port nobody listens on.
free_port() {
  python3 - 2>/dev/null <<'EOF' || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# wait_http URL: waits (up to 30 s) until URL answers.
wait_http() {
  local i
  for i in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${1##*:}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  log "nothing answers on $1"
  return 1
}

# start_serve DIR PORT TOKEN: starts `chatdeck serve` with its state, journal
# and logs in DIR, no webhook rate limit (the load comes from one address),
# and sets SERVE_PID.
start_serve() {
  local dir=$1 port=$2 token=$3
  mkdir -p "$dir"
  XDG_STATE_HOME="$dir" XDG_CONFIG_HOME="$dir" CHATDECK_WEBHOOK_RATE=0 \
    "$BIN/chatdeck" serve --listen "127.0.0.1:$port" --token "$token" --db "$dir/journal.db" \
    --log-file "$dir/chatdeck.log" --log-level warn >"$dir/stdout" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_http "127.0.0.1:$port"
}

# stop PID: stops a process this script started, and waits for it.
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do
    [ "$p" = "$1" ] || keep+=("$p")
  done
  PIDS=("${keep[@]+"${keep[@]}"}")
}
