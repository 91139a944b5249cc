#!/usr/bin/env bash
# Smoke test for the ctest Kafka fixture (tests/support/kafka_broker.cmake):
# creates a 3-partition topic, produces 3 keyed messages with kcat and
# checks that all three are consumed back.
#   kafka_smoke.sh KAFKA_BROKER_SH BROKER_DIR
# The bootstrap address comes from $DS_KAFKA_BROKERS or the file named by
# $DS_KAFKA_BOOTSTRAP_FILE (set by ds_kafka_test), else BROKER_DIR/bootstrap.
set -euo pipefail

broker_sh="$1"
broker_dir="$2"

if [[ -n "${DS_KAFKA_BROKERS:-}" ]]; then
  bootstrap="$DS_KAFKA_BROKERS"
else
  bootstrap="$(tr -d '[:space:]' \
    <"${DS_KAFKA_BOOTSTRAP_FILE:-$broker_dir/bootstrap}")"
fi
[[ -n "$bootstrap" ]] || { echo "empty bootstrap address" >&2; exit 1; }

topic="ds-smoke-$$-$RANDOM"
cleanup() {
  "$broker_sh" delete-topic "$broker_dir" "$topic" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$broker_sh" create-topic "$broker_dir" "$topic" 3

printf 'k1:one\nk2:two\nk3:three\n' |
  kcat -b "$bootstrap" -P -t "$topic" -K: -X message.timeout.ms=20000

got="$(timeout 60 kcat -b "$bootstrap" -C -t "$topic" -e -o beginning -q \
  -f '%k %s\n' | sort)"
want="$(printf 'k1 one\nk2 two\nk3 three\n')"

if [[ "$got" != "$want" ]]; then
  echo "kafka smoke: unexpected messages from $bootstrap/$topic" >&2
  echo "--- want"$'\n'"$want"$'\n'"--- got"$'\n'"$got" >&2
  exit 1
fi
echo "kafka smoke: 3/3 messages round-tripped via $bootstrap ($topic)"
