#!/usr/bin/env bash
# Runs every bench scenario (or those named) with the release build and
# writes docs/bench/<name>.json and docs/bench/<name>.png.
#   cmake --preset release && cmake --build build/release --target dashstream
#   bench/scenarios/run_all.sh [build/release/app/dashstream] [NAME...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/release/app/dashstream}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(ingest-100b ingest-100b-zstd ingest-1k ingest-1k-zstd zstd-4k
         threads-1m faults latency-50pct sweep bad-records bad-records-500k
         fanout-10 fanout-100 fanout-1000)
fi
mkdir -p "$root/docs/bench"
for n in "${names[@]}"; do
  echo "== $n"
  plot=(--plot "$root/docs/bench/$n.png")
  case $n in fanout-*) plot=() ;; esac # no timeline: counted by the bench
  "$bin" bench "$n" --scenario-dir "$root/bench/scenarios" \
    --json-file "$root/docs/bench/$n.json" "${plot[@]}"
done
