#!/usr/bin/env bash
# Run a real Jaeger v2 (OpenTelemetry-collector based, in-memory storage)
# on 127.0.0.1 for DashStream's tracing tests. The binary is built from
# github.com/jaegertracing/jaeger through the Go module proxy and cached
# outside the repo; every listener is bound to loopback on free ports.
#
#   jaeger.sh install          # build the binary once (about 6 min on 2 cores)
#   jaeger.sh check            # exit 0 iff installed, or install can run (Go)
#   jaeger.sh start DIR        # prints and writes DIR/endpoints (key=url)
#   jaeger.sh stop DIR
#   jaeger.sh status DIR       # prints DIR/endpoints, exit 0 iff healthy
#   jaeger.sh smoke DIR        # one OTLP/JSON span in, read back by trace id
#   jaeger.sh path             # prints the binary's path (after install)
#
# DIR/endpoints holds otlp_http, otlp_grpc, query (HTTP API, /api/v3/...),
# query_grpc, health and metrics; it is valid bash to `source`. A restart
# of the same DIR reuses its ports when they are still free.
#
# Env: JAEGER_VERSION (module version, default below), DASHSTREAM_CACHE
# (default ${XDG_CACHE_HOME:-~/.cache}/dashstream), JAEGER_START_TIMEOUT
# (s, default 30), JAEGER_BUILD_JOBS (go build -p, default 1).
set -euo pipefail

# github.com/jaegertracing/jaeger v1.75.0 is the same commit as the v2.12.0
# tag: the v2 binary is cmd/jaeger, released under the v1 module version
# because the module path has no /v2 suffix.
JAEGER_VERSION_DEFAULT=v1.75.0
JAEGER_VERSION="${JAEGER_VERSION:-$JAEGER_VERSION_DEFAULT}"
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_PKG="$JAEGER_MODULE/cmd/jaeger"
# The `go` line of go.mod at JAEGER_VERSION_DEFAULT; other versions are
# looked up on the module proxy.
JAEGER_GO_MIN_DEFAULT=1.24.6
JAEGER_V2_TAG_DEFAULT=v2.12.0

CACHE_ROOT="${DASHSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dashstream}"
JAEGER_HOME="$CACHE_ROOT/jaeger/$JAEGER_VERSION"
JAEGER_BIN="$JAEGER_HOME/jaeger"
GO_HOME="$CACHE_ROOT/go"
START_TIMEOUT="${JAEGER_START_TIMEOUT:-30}"
STOP_TIMEOUT=15
BUILD_JOBS="${JAEGER_BUILD_JOBS:-1}"

log() { printf 'jaeger: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

# Error lines first, then the tail; only from line $2 on (this run's part).
show_log() {
  local file="$1" from="${2:-1}"
  log "errors in $file:"
  tail -n "+$from" "$file" |
    grep -E '("level":"(error|fatal)"|	(error|fatal)	|Error:|panic:)' |
    tail -n 20 >&2 || true
  log "last lines of $file:"
  tail -n "+$from" "$file" | tail -n 40 >&2
}

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' \
    "${BASH_SOURCE[0]}" >&2
  exit 2
}

# -------------------------------------------------------------- install ----

# The Go toolchain the module's go.mod asks for (its `go` line).
required_go() {
  if [[ "$JAEGER_VERSION" == "$JAEGER_VERSION_DEFAULT" ]]; then
    echo "$JAEGER_GO_MIN_DEFAULT"
    return
  fi
  local proxy="${GOPROXY:-https://proxy.golang.org}"
  proxy="${proxy%%[,|]*}"
  [[ "$proxy" == http* ]] || return 0
  curl -fsS --max-time 30 "$proxy/$JAEGER_MODULE/@v/$JAEGER_VERSION.mod" |
    awk '$1 == "go" { print $2; exit }' || true
}

version_at_least() { # have want
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

go_version() {
  local v
  v="$(go env GOVERSION 2>/dev/null || true)"
  [[ -n "$v" ]] || v="$(go version 2>/dev/null | awk '{ print $3 }')"
  v="${v#go}"
  echo "${v%%[-+ ]*}"
}

# Dies unless `go` is on PATH and at least $1 (skipped when $1 is empty).
check_go() {
  local want="$1" have
  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH: building Jaeger $JAEGER_VERSION needs Go" \
      ">= ${want:-1.24}. Debian 12's golang package is Go 1.19, too old;" \
      "install a current Go from https://go.dev/dl/ and put its bin/ on PATH"
  have="$(go_version)"
  [[ "$have" =~ ^[0-9]+\.[0-9]+ ]] ||
    die "cannot tell the version of $(command -v go) (it says '$have');" \
      "Jaeger $JAEGER_VERSION needs Go >= ${want:-1.24} from https://go.dev/dl/"
  [[ -n "$want" ]] || return 0
  version_at_least "$have" "$want" ||
    die "$(command -v go) is Go $have, but Jaeger $JAEGER_VERSION's go.mod" \
      "requires Go >= $want (Debian 12's golang package is Go 1.19)." \
      "Install a newer Go from https://go.dev/dl/ and put it first on PATH"
}

# `go` with the module, build and GOPATH caches under CACHE_ROOT, so a
# rebuild (or another version) reuses them, and niced so the machine
# stays usable. GOTOOLCHAIN=local: never fetch a toolchain behind the
# user's back; GOFLAGS is ours alone (-p: packages built at once).
jgo() {
  GOPATH="$GO_HOME" GOMODCACHE="$GO_HOME/pkg/mod" \
    GOCACHE="$GO_HOME/build-cache" GOTOOLCHAIN=local GOWORK=off \
    GOFLAGS="-p=$BUILD_JOBS" CGO_ENABLED=0 \
    nice -n 10 go "$@"
}

# `go install github.com/jaegertracing/jaeger/cmd/jaeger@VERSION` is
# refused: the module's go.mod has a replace directive (Shopify/sarama),
# which go install PKG@VERSION does not allow. So fetch the module's
# source from the module proxy (`go mod download`) and build cmd/jaeger
# inside it as the main module, which honours go.mod/go.sum as released.
cmd_install() {
  if [[ -x "$JAEGER_BIN" ]]; then
    return 0
  fi
  check_go "$(required_go)"
  mkdir -p "$JAEGER_HOME" "$GO_HOME"
  # Serialise concurrent builds of the same version.
  exec 8>"$JAEGER_HOME/.install.lock"
  flock 8
  if [[ -x "$JAEGER_BIN" ]]; then
    exec 8>&-
    return 0
  fi
  local tmp="$JAEGER_HOME/bin.tmp.$$" t0=$SECONDS v2tag="$JAEGER_VERSION"
  local ilog="$JAEGER_HOME/install.log" src
  [[ "$JAEGER_VERSION" == "$JAEGER_VERSION_DEFAULT" ]] &&
    v2tag="$JAEGER_V2_TAG_DEFAULT"
  rm -rf "$tmp"
  : >"$ilog"
  log "downloading $JAEGER_MODULE@$JAEGER_VERSION (Go module proxy)..."
  if ! src="$(cd "$GO_HOME" &&
      jgo mod download -json "$JAEGER_MODULE@$JAEGER_VERSION" 2>>"$ilog" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" ||
      [[ ! -f "$src/go.mod" ]]; then
    tail -n 20 "$ilog" >&2
    exec 8>&-
    die "go mod download $JAEGER_MODULE@$JAEGER_VERSION failed" \
      "(GOPROXY=$(go env GOPROXY); full log: $ilog)"
  fi
  # The authoritative requirement, now that go.mod is here.
  check_go "$(awk '$1 == "go" { print $2; exit }' "$src/go.mod")"
  log "building $JAEGER_PKG from $src with $(go env GOVERSION) into" \
    "$JAEGER_HOME (log: $ilog; takes minutes)..."
  mkdir -p "$tmp"
  if ! (cd "$src" && jgo build -trimpath -o "$tmp/jaeger" \
      -ldflags="-s -w -X $JAEGER_MODULE/internal/version.latestVersion=$v2tag" \
      ./cmd/jaeger) >>"$ilog" 2>&1; then
    tail -n 20 "$ilog" >&2
    rm -rf "$tmp"
    exec 8>&-
    die "building $JAEGER_PKG@$JAEGER_VERSION failed (full log: $ilog)"
  fi
  [[ -x "$tmp/jaeger" ]] || die "go build left no binary in $tmp"
  mv "$tmp/jaeger" "$JAEGER_BIN"
  rmdir "$tmp" 2>/dev/null || true
  exec 8>&-
  log "built $JAEGER_BIN ($(du -h "$JAEGER_BIN" | cut -f1)) in" \
    "$((SECONDS - t0))s"
}

# --------------------------------------------------------------- helpers ---

# Prints N distinct free loopback TCP ports, one per line.
# The listeners, in the order of DIR/ports.
PORT_NAMES=(OTLP_GRPC OTLP_HTTP QUERY_HTTP QUERY_GRPC HEALTH METRICS)

# Is the pid in DIR/pid a live Jaeger started from DIR?
jaeger_pid() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 1
  pid="$(cat "$dir/pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF -- "--config $dir/config.yaml" || return 1
  echo "$pid"
}

# Health check reports every component OK and the query API answers.
jaeger_healthy() {
  local health="$1" query="$2"
  curl -fsS --max-time 2 -o /dev/null "$health" 2>/dev/null &&
    curl -fsS --max-time 2 -o /dev/null "$query/api/v3/services" 2>/dev/null
}

endpoints_text() {
  local dir="$1"
  [[ -f "$dir/ports" ]] || return 1
  (
    # shellcheck disable=SC1091
    source "$dir/ports"
    cat <<EOF
otlp_http=http://127.0.0.1:$OTLP_HTTP
otlp_grpc=http://127.0.0.1:$OTLP_GRPC
query=http://127.0.0.1:$QUERY_HTTP
query_grpc=127.0.0.1:$QUERY_GRPC
health=http://127.0.0.1:$HEALTH/status
metrics=http://127.0.0.1:$METRICS/metrics
EOF
  )
}

endpoint() { # dir key
  endpoints_text "$1" | sed -n "s/^$2=//p"
}

is_running_and_healthy() {
  local dir="$1"
  jaeger_pid "$dir" >/dev/null || return 1
  [[ -f "$dir/ports" ]] || return 1
  jaeger_healthy "$(endpoint "$dir" health)" "$(endpoint "$dir" query)" ||
    return 1
  endpoints_text "$dir"
}

# Every listener is spelled out with 127.0.0.1: Jaeger's defaults bind
# all interfaces (query 16686/16685, OTLP 4317/4318, health 13133, ...).
# Only the components configured here run, so nothing else listens (no
# jaeger/zipkin receivers, remote sampling, expvar, zpages or pprof).
write_config() {
  local dir="$1"
  # shellcheck disable=SC1091
  source "$dir/ports"
  cat >"$dir/config.yaml" <<EOF
# Generated by scripts/jaeger.sh -- Jaeger v2 for tests, loopback only.
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: $METRICS
    logs:
      level: info
      encoding: console

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000

  jaeger_query:
    storage:
      traces: memstore
    # Do not trace the query service into its own storage: tests list
    # services and expect only their own.
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:$QUERY_HTTP
    grpc:
      endpoint: 127.0.0.1:$QUERY_GRPC

  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$HEALTH

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:$OTLP_GRPC
      http:
        endpoint: 127.0.0.1:$OTLP_HTTP

processors:
  batch:
    # Spans reach storage quickly, so tests can query right after sending.
    timeout: 100ms

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

# ---------------------------------------------------------------- start ----

cmd_start() {
  local dir
  dir="$(abs_dir "$1")"
  need curl "apt-get install -y curl"

  exec 9>"$dir/.lock"
  flock 9

  local pid text
  if text="$(is_running_and_healthy "$dir")"; then
    printf '%s\n' "$text" >"$dir/endpoints"
    printf '%s\n' "$text"
    return 0
  fi
  if pid="$(jaeger_pid "$dir")"; then
    log "jaeger pid $pid from $dir is not healthy; restarting it"
    stop_dir "$dir"
  fi
  rm -f "$dir/endpoints" "$dir/pid"

  [[ -x "$JAEGER_BIN" ]] || cmd_install

  # Reuse the previous ports on a restart when they are all still free, so
  # a test can stop Jaeger and bring it back at the same address.
  local ports=() name ok=0
  if [[ -f "$dir/ports" ]]; then
    ok=1
    for name in "${PORT_NAMES[@]}"; do
      local p
      p="$(sed -n "s/^$name=\([0-9]\{1,\}\)$/\1/p" "$dir/ports")"
      if [[ -z "$p" ]] || ! port_is_free "$p"; then
        ok=0
        break
      fi
      ports+=("$p")
    done
  fi
  if ((ok == 0)); then
    mapfile -t ports < <(free_ports "${#PORT_NAMES[@]}")
  fi
  local i
  for i in "${!PORT_NAMES[@]}"; do
    printf '%s=%s\n' "${PORT_NAMES[$i]}" "${ports[$i]}"
  done >"$dir/ports"
  write_config "$dir"

  local t0=$SECONDS log_from health query
  touch "$dir/jaeger.log"
  log_from=$(($(wc -l <"$dir/jaeger.log") + 1))
  echo "==== $(date -u +%FT%TZ) starting $JAEGER_BIN ($JAEGER_VERSION)" \
    >>"$dir/jaeger.log"
  # Detach fully: new session, no inherited stdio or lock fds, so callers
  # such as ctest that wait for their child's pipes do not hang.
  setsid "$JAEGER_BIN" --config "$dir/config.yaml" \
    </dev/null >>"$dir/jaeger.log" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$dir/pid"

  health="$(endpoint "$dir" health)"
  query="$(endpoint "$dir" query)"
  while ((SECONDS - t0 < START_TIMEOUT)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "jaeger exited during startup"
      show_log "$dir/jaeger.log" "$log_from"
      rm -f "$dir/pid"
      exit 1
    fi
    if jaeger_healthy "$health" "$query"; then
      endpoints_text "$dir" >"$dir/endpoints.tmp"
      mv "$dir/endpoints.tmp" "$dir/endpoints"
      log "jaeger up after $((SECONDS - t0))s (pid $pid), query at $query"
      cat "$dir/endpoints"
      return 0
    fi
    sleep 0.2
  done
  log "jaeger did not answer $health and $query/api/v3/services" \
    "within ${START_TIMEOUT}s"
  show_log "$dir/jaeger.log" "$log_from"
  stop_dir "$dir"
  exit 1
}

# ----------------------------------------------------------------- stop ----

stop_dir() {
  stop_service "$1" endpoints jaeger_pid jaeger
}

cmd_status() {
  local dir="$1" text
  [[ -d "$dir" ]] || exit 1
  dir="$(abs_dir "$dir")"
  need curl "apt-get install -y curl"
  if text="$(is_running_and_healthy "$dir")"; then
    printf '%s\n' "$text"
    return 0
  fi
  exit 1
}

# ---------------------------------------------------------------- smoke ----

# End to end: one span in over OTLP/HTTP JSON, read back from the query
# API by trace id. Stops Jaeger afterwards unless it was already running.
cmd_smoke() {
  local dir was_running=0
  dir="$(abs_dir "$1")"
  need curl "apt-get install -y curl"
  need python3 "apt-get install -y python3"
  if (cmd_status "$dir") >/dev/null 2>&1; then
    was_running=1
  fi
  cmd_start "$dir" >/dev/null
  exec 9>&-
  if ((was_running == 0)); then
    # shellcheck disable=SC2064
    trap "cmd_stop '$dir'" EXIT
  fi

  local otlp query trace_id span_id now body code
  otlp="$(endpoint "$dir" otlp_http)"
  query="$(endpoint "$dir" query)"
  trace_id="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  span_id="$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  now="$(date +%s%N)"
  body="$(python3 - "$trace_id" "$span_id" "$now" <<'EOF'
import json, sys
trace_id, span_id, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(json.dumps({"resourceSpans": [{
    "resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "ds-smoke"}}]},
    "scopeSpans": [{
        "scope": {"name": "scripts/jaeger.sh"},
        "spans": [{
            "traceId": trace_id, "spanId": span_id,
            "name": "smoke", "kind": 1,
            "startTimeUnixNano": str(now - 5_000_000),
            "endTimeUnixNano": str(now),
            "attributes": [
                {"key": "ds.smoke", "value": {"boolValue": True}}]}]}]}]}))
EOF
)"
  log "POST $otlp/v1/traces: trace $trace_id span $span_id"
  code="$(curl -sS -o "$dir/smoke-post.out" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "$body" \
    "$otlp/v1/traces")"
  [[ "$code" == 200 ]] ||
    die "OTLP/HTTP POST answered $code: $(head -c 500 "$dir/smoke-post.out")"

  local i
  for ((i = 0; i < 50; i++)); do
    if curl -fsS --max-time 5 -o "$dir/smoke-trace.json" \
        "$query/api/v3/traces/$trace_id" 2>/dev/null &&
        python3 - "$dir/smoke-trace.json" "$trace_id" "$span_id" <<'EOF'
import json, sys
path, trace_id, span_id = sys.argv[1:]
doc = json.load(open(path))
for rs in doc.get("result", {}).get("resourceSpans", []):
    attrs = {a["key"]: a["value"] for a in rs.get("resource", {}).get("attributes", [])}
    svc = attrs.get("service.name", {}).get("stringValue")
    for ss in rs.get("scopeSpans", []):
        for sp in ss.get("spans", []):
            if (sp.get("traceId", "").lower() == trace_id
                    and sp.get("spanId", "").lower() == span_id
                    and sp.get("name") == "smoke" and svc == "ds-smoke"):
                print("found span %s name=%s service=%s in trace %s"
                      % (span_id, sp["name"], svc, trace_id))
                sys.exit(0)
sys.exit(1)
EOF
    then
      log "smoke ok: GET $query/api/v3/traces/$trace_id returned the span"
      return 0
    fi
    sleep 0.2
  done
  log "last answer of GET $query/api/v3/traces/$trace_id:"
  head -c 2000 "$dir/smoke-trace.json" >&2 2>/dev/null || true
  echo >&2
  die "span $span_id of trace $trace_id not found in Jaeger after 10s"
}

main() {
  (($# >= 1)) || usage
  local cmd="$1"
  shift
  case "$cmd" in
    install) (($# == 0)) || usage; cmd_install ;;
    check) (($# == 0)) || usage; [[ -x "$JAEGER_BIN" ]] || check_go "$(required_go)" ;;
    path) (($# == 0)) || usage; echo "$JAEGER_BIN" ;;
    start) (($# == 1)) || usage; cmd_start "$1" ;;
    stop) (($# == 1)) || usage; cmd_stop "$1" ;;
    status) (($# == 1)) || usage; cmd_status "$1" ;;
    smoke) (($# == 1)) || usage; cmd_smoke "$1" ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
