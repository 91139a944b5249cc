#!/usr/bin/env bash
# The program users run has no fault injection (issue 26, point 7): what
# makes `dashstream-faults` crash or wedge an actor means nothing to
# `dashstream`.
# 1. No fault-hook key or message is in the shipped binary at all; the
#    test binary has them (so this check can fail).
# 2. On an embedded broker, with one scheduler thread (a wedge would stop
#    everything): records keyed like the reader-crash and wedge hooks and a
#    WebSocket message that crashes a session of dashstream-faults are
#    processed like any other (two undecodable records in the DLQ, an
#    counted as an invalid message), no actor restarts, /health answers at once.
set -euo pipefail
bin=$1
faults_bin=$2
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; tail -5 "$work/run.log" 2>/dev/null; exit 1; }
metric() { # sum of a family's samples
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'
}

grep -aq ds-test-hook "$faults_bin" || fail "dashstream-faults has no hook keys: the check below proves nothing"
if grep -aq ds-test-hook "$bin"; then
  fail "$bin contains fault-hook keys: $(grep -ao 'ds-test-hook[a-z-]*' "$bin" | sort -u | tr '\n' ' ')"
fi
echo "OK: no ds-test-hook string in $bin (dashstream-faults has them)"

"$bin" kafka-mock --partitions 1 --topic hooks >"$work/bootstrap" 2>"$work/mock.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/bootstrap" ]] && break; sleep 0.1; done
brokers=$(head -n1 "$work/bootstrap")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" run --brokers "$brokers" --topic hooks --port "$port" \
  --set pipeline.scheduler_threads=1 --set dlq.spool_dir="$work/spool" \
  --set log.level=warn >"$work/run.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || fail "the daemon is not ready"

"$bin" produce --brokers "$brokers" --topic hooks --count 100 --rate 0 \
  --threads 4 >/dev/null
printf 'ds-test-hook-crash-reader:x\nds-test-hook-wedge:60000\n' |
  kcat -P -b "$brokers" -t hooks -K :
"$bin" produce --brokers "$brokers" --topic hooks --count 100 --rate 0 \
  --threads 4 --thread-prefix after- >/dev/null
for _ in $(seq 150); do
  (($(metric dashstream_records_total) >= 202)) && break
  sleep 0.2
done
total=$(metric dashstream_records_total)
((total == 202)) || fail "records_total $total, want 202 (200 produced records and the 2 keyed like hooks)"
decode=$(metric dashstream_decode_errors_total)
((decode == 2)) || fail "decode errors $decode, want 2 (the two hook-keyed records are not protobuf)"
time=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "http://127.0.0.1:$port/health") ||
  fail "/health did not answer within 5 s (wedged?)"
echo "OK: 202 records processed, 2 undecodable ones counted, /health in ${time} s"

/usr/bin/python3 - "$port" <<'PY' || fail "the session did not treat the hook message as any invalid message"
import asyncio, json, sys
import websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.send("ds-test-hook-crash-session")
        await ws.send(json.dumps({"type": "ping"}))
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if reply.get("type") == "pong":
                break
        print("OK: the session ignored the hook message and answered a ping")
asyncio.run(main())
PY
invalid=$(metric dashstream_websocket_invalid_messages_total)
((invalid == 1)) || fail "invalid WebSocket messages $invalid, want 1"
restarts=$(metric dashstream_actor_restarts_total)
failures=$(metric dashstream_websocket_session_failures_total)
((restarts == 0)) || fail "$restarts actor restarts"
((failures == 0)) || fail "$failures session failures"
kill -0 "${pids[1]}" || fail "the daemon exited"
echo "PASS: the shipped program ignores every fault-hook key and message"
