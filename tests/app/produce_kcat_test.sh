#!/usr/bin/env bash
# `dashstream produce` into `dashstream kafka-mock`, read back with kcat:
# keys are thread ids, every record has a W3C traceparent header, and the
# framing byte is 0x00 below the 512-byte threshold and 0x01 above it.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'kill $mock_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" kafka-mock --partitions 3 --topic small >"$work/bootstrap" 2>"$work/mock.log" &
mock_pid=$!
for _ in $(seq 100); do [[ -s "$work/bootstrap" ]] && break; sleep 0.1; done
brokers=$(head -n1 "$work/bootstrap")
[[ -n "$brokers" ]] || { echo "kafka-mock printed no address"; cat "$work/mock.log"; exit 1; }

fail() { echo "FAIL: $*"; exit 1; }

# Small messages (raw framing) and large compressible ones (zstd framing).
"$bin" produce --brokers "$brokers" --topic small --count 60 --threads 4 \
  --size 100 --mix event:1 --traceparent auto >/dev/null
"$bin" produce --brokers "$brokers" --topic large --count 30 --threads 3 \
  --size 4096 --mix event:1 --traceparent auto >/dev/null

for topic in small large; do
  kcat -C -b "$brokers" -t "$topic" -e -o beginning -q \
    -f '%k\t%h\t%S\n' >"$work/$topic.tsv"
  n=$(wc -l <"$work/$topic.tsv")
  [[ $n -gt 0 ]] || fail "$topic: nothing read back"
  # Key = thread id.
  bad=$(cut -f1 "$work/$topic.tsv" | grep -vc '^thread-[0-9]*$' || true)
  [[ $bad -eq 0 ]] || fail "$topic: $bad records not keyed by a thread id"
  # traceparent: version 00, 32-hex trace id, 16-hex span id, flags.
  bad=$(cut -f2 "$work/$topic.tsv" \
    | grep -vcE '(^|,)traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-0[01](,|$)' || true)
  [[ $bad -eq 0 ]] || fail "$topic: $bad records without a valid traceparent"
  # The framing byte of every record (one record per partition read).
  for p in 0 1 2; do
    kcat -C -b "$brokers" -t "$topic" -p "$p" -o beginning -c 1 -e -q \
      -f '%s' >"$work/$topic.$p.bin" || true
    [[ -s "$work/$topic.$p.bin" ]] || continue
    first=$(head -c1 "$work/$topic.$p.bin" | od -An -tx1 | tr -d ' ')
    want=00; [[ $topic == large ]] && want=01
    [[ $first == "$want" ]] || fail "$topic/$p: framing byte $first, want $want"
  done
  echo "$topic: $n records, keys, traceparent and framing as specified"
done

# The per-tenant rate limit (contract §2): 2 tenants, a burst of 5, then 20
# records/s each. Every record still goes (a refused one waits for a
# token); the refusals are counted per tenant, and sum to the summary's.
"$bin" produce --brokers "$brokers" --topic limited --count 60 --threads 4 \
  --tenants 2 --tenant-rate 20 --tenant-burst 5 --json \
  --metrics-file "$work/limited.prom" >"$work/limited.json"
python3 - "$work/limited.json" "$work/limited.prom" <<'PY' || fail "rate limit"
import json, re, sys
s = json.load(open(sys.argv[1]))
acked, refused = s["records"]["acknowledged"], s["tenant_rate_limit"]["refusals_waited"]
assert acked == 60, f"acknowledged {acked}, want 60"
prom = open(sys.argv[2]).read()
def per_tenant(name):
    return {t: float(v) for t, v in re.findall(
        name + r'\{tenant_id="([^"]+)"\} (\S+)', prom)}
allowed = per_tenant("dashstream_rate_limit_allowed_total")
exceeded = per_tenant("dashstream_rate_limit_exceeded_total")
assert len(allowed) == 2 and sum(allowed.values()) == 60, f"allowed {allowed}"
# Records alternate between tenants: while one waits for a token, the
# other's bucket refills, so only one may ever be refused.
assert sum(exceeded.values()) > 0, f"exceeded {exceeded}"
assert sum(exceeded.values()) == refused, f"exceeded {exceeded} vs summary {refused}"
print(f"rate limit: 60 records acknowledged, allowed {allowed}, refused and waited {exceeded}")
PY
