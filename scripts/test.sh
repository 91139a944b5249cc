#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, checks
# formatting, fuzzes the decoder for 60 s, runs the unit tests under
# ASan+UBSan, then builds the dev preset, runs clang-tidy on the last
# commit's targets (scripts/lint.sh) and runs every test (unit and
# integration, the latter against a real Kafka broker this script's ctest
# fixture starts on 127.0.0.1), the browser UI's unit tests and its build,
# and the UI's end-to-end test in Debian's Chromium. Ends with ctest's
# summary. The tracing test also runs a real Jaeger, which is built from
# source with Go >= 1.24.6 (not Debian 12's golang 1.19: see README).
#
#   scripts/test.sh            everything (what CI runs)
#   DS_FUZZ_SECONDS=0 ...      skip the fuzz run (local loop)
#   DS_SKIP_ASAN=1 ...         skip the sanitizer pass (local loop)
#   scripts/test.sh --contended
#                              the same, with two busy loops competing for
#                              the CPU while the tests run (not the builds):
#                              a production daemon is overloaded exactly
#                              when it is short of CPU, and CI machines are
#                              shared, so no test may need a quiet machine
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DS_JOBS:-$(nproc)}

contended=
for arg in "$@"; do
  case "$arg" in
    --contended) contended=1 ;;
    *) echo "test.sh: unknown argument '$arg' (see the header)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }

# Two processes that never sleep, for as long as the tests run.
busy_pids=()
start_contention() {
  [[ -n "$contended" ]] || return 0
  local i
  for i in 1 2; do
    bash -c 'while :; do :; done' &
    busy_pids+=("$!")
  done
  echo "contention: busy loops ${busy_pids[*]}"
}
stop_contention() {
  ((${#busy_pids[@]})) || return 0
  kill "${busy_pids[@]}" 2>/dev/null || true
  wait "${busy_pids[@]}" 2>/dev/null || true
  busy_pids=()
}
trap stop_contention EXIT

step "setup"
scripts/setup.sh
# The deployment tests' venv (kubernetes-validate, pinned; cached).
scripts/deploy-tools.sh install

# Jaeger for the tracing test: built once from source through the Go module
# proxy (Go >= 1.24.6; about 6 minutes of one core) and cached under
# ~/.cache/dashstream. A missing or old Go fails here, at once; the build
# itself runs in the background at low priority, in the time the fuzz
# runs, npm and the tests leave a core idle, and is awaited before ctest.
step "jaeger: check Go, build in the background (scripts/jaeger.sh; cached)"
scripts/jaeger.sh check
mkdir -p build
nice -n 19 scripts/jaeger.sh install >build/jaeger-install.log 2>&1 &
jaeger_pid=$!

step "format (clang-format --dry-run on tracked C++ files)"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
if ((${#sources[@]})); then
  clang-format --dry-run --Werror "${sources[@]}"
fi
echo "${#sources[@]} files formatted"

fuzz_seconds=${DS_FUZZ_SECONDS:-60}
if ((fuzz_seconds > 0)); then
  # setup.sh installs clang: without it the fuzz runs would vanish silently.
  command -v clang++ >/dev/null ||
    { echo "test.sh: clang++ not found: the fuzz step needs it (scripts/setup.sh installs it)" >&2; exit 1; }
  step "fuzz: decoder, client messages, HTTP requests, config, JWT, spool, DLQ envelopes (clang, libFuzzer, ASan+UBSan)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs" --target decode_fuzz client_message_fuzz http_request_fuzz config_toml_fuzz jwt_verify_fuzz spool_segment_fuzz dlq_envelope_fuzz
  start_contention
  DS_FUZZ_SECONDS=$fuzz_seconds ctest --test-dir build/fuzz -L fuzz \
    --output-on-failure
  stop_contention
fi

if [[ -z "${DS_SKIP_ASAN:-}" ]]; then
  step "unit tests under ASan+UBSan"
  cmake --preset asan -DDS_REQUIRE_ALL_TESTS=ON >/dev/null
  # Only what the unit tests run (the unit_tests target), not the
  # integration tests' executables, which this pass does not run; the
  # preset keeps line tables only (-g1), all a sanitizer report needs.
  cmake --build --preset asan -j "$jobs" --target unit_tests
  start_contention
  ctest --test-dir build/asan -L unit --output-on-failure -j "$jobs"
  stop_contention
fi

# Before the dev build: the daemon's tests serve ui/dist, and the browser
# end-to-end test (ui_e2e_test) drives it.
step "ui: npm ci, type check, vitest unit tests, build (ui/dist)"
scripts/ui.sh test
scripts/ui.sh build

step "dev build"
cmake --preset dev -DDS_REQUIRE_ALL_TESTS=ON >/dev/null
cmake --build --preset dev -j "$jobs"

# After the build: it reads build/dev/compile_commands.json and the
# generated headers. Only the last commit's targets (DS_LINT_BASE, see
# scripts/lint.sh), so it stays cheap; it prints its own time.
step "lint: clang-tidy on the changed files' targets"
DS_BUILD_DIR=build/dev DS_JOBS=$jobs scripts/lint.sh

step "jaeger: waiting for its build"
if ! wait "$jaeger_pid"; then
  cat build/jaeger-install.log >&2
  echo "test.sh: building Jaeger failed (log above)" >&2
  exit 1
fi
tail -n 1 build/jaeger-install.log

step "dev: every test (unit + integration on a real Kafka broker)"
start_contention
ctest --test-dir build/dev -LE fuzz --output-on-failure --timeout 900
