#!/usr/bin/env bash
# systemd-analyze verify on the shipped unit, its ExecStart pointed at the
# binary under test (verify checks that the command exists), plus the
# settings the daemon relies on: Type=notify with a watchdog, a stop
# timeout longer than the default drain, and the hardening.
set -euo pipefail
unit="$1" binary="$2"
command -v systemd-analyze >/dev/null ||
  { echo "systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed "s#^ExecStart=/usr/bin/dashstream #ExecStart=$binary #" "$unit" \
  >"$tmp/dashstream.service"
out="$(systemd-analyze verify "$tmp/dashstream.service" 2>&1)" || {
  echo "$out" >&2
  exit 1
}
# verify prints problems it does not fail on; none is acceptable here.
if [[ -n "$out" ]]; then
  echo "systemd-analyze verify: $out" >&2
  exit 1
fi
for want in '^Type=notify$' '^NotifyAccess=main$' '^WatchdogSec=' \
  '^StateDirectory=dashstream$' '^NoNewPrivileges=yes$' \
  '^ProtectSystem=strict$' '^CapabilityBoundingSet=$' \
  '^EnvironmentFile=-/etc/dashstream/dashstream.env$'; do
  grep -q "$want" "$unit" || { echo "$unit lacks $want" >&2; exit 1; }
done
# The stop timeout must outlast the drain (pipeline.shutdown_timeout_secs).
stop="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")"
# Its exit status is not the question (a sanitizer build may report at
# exit): the printed value is.
drain="$({ "$binary" config print --effective 2>/dev/null || true; } |
  sed -n 's/^shutdown_timeout_secs = \([0-9]*\).*/\1/p')"
[[ -n "$stop" && -n "$drain" ]] ||
  { echo "cannot read TimeoutStopSec ($stop) or the drain ($drain)" >&2; exit 1; }
((stop > drain)) ||
  { echo "TimeoutStopSec=${stop}s must exceed the ${drain}s drain" >&2; exit 1; }
echo "ok: systemd-analyze verify clean; stop ${stop}s > drain ${drain}s"
