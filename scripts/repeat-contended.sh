#!/usr/bin/env bash
# Runs one test binary (optionally filtered, Catch2 syntax) N times with two
# busy loops competing for the CPU, against a real broker this script
# starts on 127.0.0.1, and prints what each run WARNed (peak RSS and the
# like) and a closing "N passed, M failed". For tests that must hold on an
# overloaded machine, e.g. the memory budget:
#
#   scripts/repeat-contended.sh 20 build/dev/tests/app/daemon_process_test \
#     'a producer faster than the daemon*'
#
# Needs the dev build (cmake --preset dev && cmake --build --preset dev).
set -euo pipefail
cd "$(dirname "$0")/.."
(($# >= 2)) || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
runs=$1
binary=$2
shift 2
[[ -x "$binary" ]] || { echo "repeat-contended: no test binary $binary (build the dev preset)" >&2; exit 1; }

kafka_dir=build/contended-kafka
busy=()
cleanup() {
  ((${#busy[@]})) && kill "${busy[@]}" 2>/dev/null
  scripts/kafka-broker.sh stop "$kafka_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/kafka-broker.sh start "$kafka_dir" >/dev/null
export DS_KAFKA_BOOTSTRAP_FILE=$PWD/$kafka_dir/bootstrap
for _ in 1 2; do
  bash -c 'while :; do :; done' &
  busy+=("$!")
done

passed=0
failed=0
for ((i = 1; i <= runs; ++i)); do
  log=$(mktemp)
  if "$binary" "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    verdict=passed
  else
    failed=$((failed + 1))
    verdict=FAILED
  fi
  # A WARN is "FILE:LINE: warning:" and its text, indented, below.
  awk '/: warning:$/ {w = 1; next} w && /^  / {sub(/^ +/, ""); print; next}
       {w = 0}' "$log" | sed "s/^/run $i: /"
  echo "run $i: $verdict"
  [[ $verdict == passed ]] || tail -n 40 "$log"
  rm -f "$log"
done
echo "$passed passed, $failed failed"
((failed == 0))
