#!/usr/bin/env bash
# Every benchmark of issue 6, one after the other (about 40 minutes on
# two CPUs; the first replay run also makes its journals, a few minutes):
#   gobench  board Apply and frame queries, render vs bubbles/table, decode,
#            journal (go test -bench)
#   ingest   chatdeck serve vs a no-op handler under wrk
#   latency  POST -> stream client at 1,000/s
#   fanout   200 stream clients at 1,000/s
#   replay   start-up on a journal of 1,000,000 events
#   report   chatdeck report over a journal of 1,000,000 events
#   idle     the dashboard's CPU when nothing happens
#   cluster  three cluster nodes vs one node under wrk, and the failover stall
# Each script also runs alone, and takes its settings from the environment
# (RUNS, DURATION, ...: see its header). Run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"
for b in ${BENCHES:-gobench ingest latency fanout replay report idle cluster}; do
  echo "=== $b"
  ./"$b".sh
  echo
done
