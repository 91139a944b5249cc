#!/usr/bin/env bash
# amtool check-config, then the routing table of monitoring/alertmanager.yml:
# each label set must reach exactly the expected receiver.
#   amtool_test.sh AMTOOL ALERTMANAGER_YML
set -euo pipefail
amtool=$1
config=$2

"$amtool" check-config "$config"

failures=0
# expect RECEIVER LABEL=VALUE...
expect() {
  local want=$1
  shift
  local got
  got=$("$amtool" config routes test --config.file="$config" "$@" 2>/dev/null)
  if [[ "$got" == "$want" ]]; then
    echo "ok: $* -> $got"
  else
    echo "FAIL: $* -> '$got', expected '$want'"
    failures=$((failures + 1))
  fi
}

expect critical alertname=DashStreamDown severity=critical signal=availability
expect critical alertname=DashStreamInfrastructureErrorsCritical severity=critical signal=infrastructure_errors
expect high alertname=DashStreamConsumerLagHigh severity=high signal=consumer_lag partition=3
expect high alertname=DashStreamInfrastructureErrorsHigh severity=high signal=infrastructure_errors
expect medium alertname=DashStreamSequenceGaps severity=medium signal=sequence_gaps
expect medium alertname=DashStreamInfrastructureErrors severity=medium signal=infrastructure_errors
# No severity (a rule someone forgot to label): the default route, never lost.
expect medium alertname=SomethingElse

# Every alert of the shipped rules, with its own severity, reaches the
# receiver of that severity.
rules=$(dirname "$config")/alert_rules.yml
while read -r name sev; do
  expect "$sev" alertname="$name" severity="$sev"
done < <(awk '/- alert:/{a=$3} /severity:/{if(a!=""){print a, $2; a=""}}' \
  "$rules")

if ((failures)); then
  echo "$failures routing expectation(s) failed"
  exit 1
fi
