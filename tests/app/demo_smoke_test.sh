#!/usr/bin/env bash
# `dashstream demo` starts its embedded broker, producer and daemon, sees
# records (and the injected faults), and stops cleanly on its own.
set -euo pipefail
bin=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" demo --duration 10 --rate 400 --port 0 --set log.level=warn >"$out" 2>&1
cat "$out" | tail -3
processed=$(grep -o 'processed [0-9]*' "$out" | tail -n1 | awk '{print $2}')
[[ -n "$processed" && "$processed" -gt 0 ]] || { echo "FAIL: nothing processed"; exit 1; }
