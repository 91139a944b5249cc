#!/usr/bin/env bash
# Every `dashstream` subcommand's failure paths, as a user meets them: each
# must exit non-zero, say something on stderr, name what failed (the error's
# module, e.g. "kafka: metadata_failed", or the flag at fault), and never
# print "none:" (the label of "not this module's error").
# Usage: error_messages_test.sh DASHSTREAM_BINARY
set -uo pipefail
bin=$1
work=$(mktemp -d)
mock_pid=
trap '[[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# An embedded broker for the paths that need one to get that far.
"$bin" kafka-mock --partitions 1 --topic present >"$work/bootstrap" \
  2>"$work/mock.log" &
mock_pid=$!
for _ in $(seq 100); do [[ -s "$work/bootstrap" ]] && break; sleep 0.1; done
mock=$(head -n1 "$work/bootstrap")
[[ -n "$mock" ]] || { echo "kafka-mock printed no address"; cat "$work/mock.log"; exit 1; }

printf '[kafka]\nbrokerz = "x"\n[http]\nport = 99999\n' >"$work/bad.toml"
printf 'no_such_key = 1\n' >"$work/bad-scenario.toml"

failures=0
cases=0
# expect CODE PATTERN -- ARGS...: runs the binary with ARGS; CODE is the exit
# code ("nonzero" for any), PATTERN an extended regex the output must match.
expect() {
  local want=$1 pattern=$2
  shift 3
  cases=$((cases + 1))
  timeout 20 "$bin" "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local problems=()
  if [[ $want == nonzero ]]; then
    [[ $rc -ne 0 ]] || problems+=("exit code 0")
  else
    [[ $rc -eq $want ]] || problems+=("exit code $rc, expected $want")
  fi
  [[ -s "$work/err" ]] || problems+=("nothing on stderr")
  if grep -q 'none:' "$work/out" "$work/err"; then
    problems+=("says \"none:\"")
  fi
  grep -qE -- "$pattern" "$work/out" "$work/err" ||
    problems+=("no /$pattern/ in the output")
  if [[ ${#problems[@]} -gt 0 ]]; then
    failures=$((failures + 1))
    echo "FAIL: dashstream $*"
    printf '  %s\n' "${problems[@]}"
    echo "  stderr (last lines):"
    tail -n 5 "$work/err" | sed 's/^/    /'
  else
    echo "ok:   dashstream $*"
  fi
}

# run / demo: flags, configuration, and the daemon failing to start.
expect 64 '--no-such-flag' -- run --no-such-flag
expect 64 'config: invalid_value' -- run --set nosuch
expect 78 'config: file_unreadable' -- run -c "$work/missing.toml"
expect 78 'config: [a-z_]+:' -- run --set http.port=abc
expect 78 'config: unknown_key:' -- run -c "$work/bad.toml"
printf 'a-shared-secret\n' >"$work/secret"
expect 1 'cannot start: http: [a-z_]+: ' -- run --port 0 --set http.host=192.0.2.1 \
  --set auth.hs256_secret_file="$work/secret"
expect 78 'auth.mode = none .* only on a loopback http.host' -- \
  run --port 0 --set http.host=0.0.0.0
expect 1 'cannot start: auth: bad_key: cannot read key file' -- \
  run --port 0 --set auth.jwks_file="$work/no-such-jwks.json"
expect 1 'cannot start: spool: [a-z_]+: ' -- run --port 0 --set dlq.spool_dir=/proc/nope
expect 78 'config: out_of_range' -- demo --set pipeline.validators=0

# produce: bad plans, and failures once a broker answers.
expect 64 'workload: invalid_mix' -- produce --mix bogus:1
expect 64 'workload: invalid_amount' -- produce --inject-gaps 5x
expect 64 '(workload|producer): invalid_config: traceparent' -- produce --traceparent bogus
expect 1 'ground truth: workload: io_failed' -- produce --brokers "$mock" \
  --topic present --count 5 --ground-truth "$work/no/such/dir/truth.json"
expect 1 'metrics file: workload: io_failed' -- produce --brokers "$mock" \
  --topic present --count 5 --metrics-file "$work/no/such/dir/m.prom"

# config
expect 78 'configuration is invalid' -- config check "$work/missing.toml"
expect 78 'configuration is invalid \(2 problems\)' -- config check "$work/bad.toml"
expect 78 'config: file_unreadable' -- config print --effective -c "$work/missing.toml"
expect 64 '--effective' -- config print

# thread: no daemon listening.
expect 1 'http: request_failed: ' -- thread reset t1 --port 1 --timeout 1
expect 64 'THREAD_ID' -- thread reset

# kafka-mock
expect 64 '--partitions' -- kafka-mock --partitions 0
expect 64 '--brokers' -- kafka-mock --brokers 99

# dlq
expect 1 'kafka: metadata_failed: ' -- dlq inspect --brokers 127.0.0.1:1 --timeout-secs 1
expect 64 'dlq: invalid_argument: ' -- dlq inspect --brokers "$mock" --since yesterday
expect 78 'config: file_unreadable' -- dlq inspect -c "$work/missing.toml"
expect 1 'spool: io_error: ' -- dlq spool status --dir "$work/no-spool"
expect 64 'would loop' -- dlq replay --brokers "$mock" --to dashstream-quality-dlq

# bench
expect 64 'bench: invalid_scenario: ' -- bench no-such-scenario
expect 64 'bench: invalid_scenario: ' -- bench "$work/bad-scenario.toml"
expect 64 'scenario' -- bench

echo "$((cases - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
