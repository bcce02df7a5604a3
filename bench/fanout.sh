#!/usr/bin/env bash
# Fan-out (issue 6, target 7): 200 WebSocket clients on /v1/stream while
# webhooks come at 1,000 a second: every client must get every event, in
# order (no gap in the cursors), and none may be dropped as slow. The load
# generator and its 200 clients run on the same machine as the server.
#
#   bench/fanout.sh                  # 3 runs of 20 s
#   CLIENTS=400 bench/fanout.sh
CLIENTS=${CLIENTS:-200} RUNS=${RUNS:-3} LABEL=fanout exec "$(dirname "$0")/latency.sh" "$@"
