# What scripts/kafka-broker.sh and scripts/jaeger.sh share: a service run
# from a state directory on loopback ports. Sourced; the sourcing script
# defines log() and die() first.

abs_dir() {
  mkdir -p "$1"
  (cd "$1" && pwd)
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH${2:+ ($2)}"
}

port_is_free() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
  elif (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    return 1
  fi
}

free_ports() {
  local n="$1"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
    return
  fi
  # Fallback: random high ports that nobody answers on.
  local got=() p
  while ((${#got[@]} < n)); do
    p=$((20000 + RANDOM % 40000))
    [[ " ${got[*]} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      got+=("$p")
    fi
  done
  printf '%s\n' "${got[@]}"
}

# Stops process `pid` (named `what` in the log): SIGTERM, then SIGKILL past
# STOP_TIMEOUT seconds; returns once it is gone.
terminate_pid() {
  local what="$1" pid="$2" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$what pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; killing"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

# Stops the service of state directory `dir`: removes its address file
# (`addr_file`, so nobody connects to a dying process), stops the process
# `pid_fn dir` names, and removes its pid file.
stop_service() {
  local dir="$1" addr_file="$2" pid_fn="$3" what="$4" pid
  rm -f "$dir/$addr_file"
  if ! pid="$("$pid_fn" "$dir")"; then
    rm -f "$dir/pid"
    return 0
  fi
  terminate_pid "$what" "$pid"
  rm -f "$dir/pid"
}

# `stop DIR`: under the directory's lock, so a concurrent start or stop
# waits. The sourcing script defines stop_dir.
cmd_stop() {
  local dir="$1"
  [[ -d "$dir" ]] || return 0
  dir="$(abs_dir "$dir")"
  exec 9>"$dir/.lock"
  flock 9
  stop_dir "$dir"
}
