#!/usr/bin/env bash
# `dashstream demo` starts its embedded broker, producer and daemon, prints
# the UI's address with a working admin token (and a tenant-0 one), sees
# records (and the injected faults), and stops cleanly on its own.
set -euo pipefail
bin=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" demo --duration 10 --rate 400 --port 0 --set log.level=warn >"$out" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q 'Open the UI: http://' "$out" && break
  sleep 0.1
done
url=$(grep -o 'Open the UI: http://[^ ]*' "$out" | awk '{print $4}')
[[ "$url" == http://127.0.0.1:*/#token=* ]] || { echo "FAIL: no UI address with a token: $(cat "$out")"; exit 1; }
base=${url%%/#token=*}
admin=${url##*#token=}
tenant=$(grep -o 'tenant-0 token (only tenant-0): .*' "$out" | awk '{print $NF}')
session() { curl -s "$base/api/session${1:+?token=$1}"; }
[[ "$(session "$admin")" == *'"admin":true'* ]] || { echo "FAIL: the admin token: $(session "$admin")"; exit 1; }
[[ "$(session "$tenant")" == *'"tenant":"tenant-0"'* ]] || { echo "FAIL: the tenant token: $(session "$tenant")"; exit 1; }
[[ "$(session)" == *unauthorized* ]] || { echo "FAIL: no token was accepted"; exit 1; }
wait "$pid"
tail -3 "$out"
processed=$(grep -o 'processed [0-9]*' "$out" | tail -n1 | awk '{print $2}')
[[ -n "$processed" && "$processed" -gt 0 ]] || { echo "FAIL: nothing processed"; exit 1; }
secret=$(ls /tmp/dashstream-demo-"$pid".secret 2>/dev/null || true)
[[ -z "$secret" ]] || { echo "FAIL: the demo left its secret behind: $secret"; exit 1; }
echo "ok: UI at $base with admin and tenant tokens; processed $processed"
