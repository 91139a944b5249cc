#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, combined
# broker+controller) on 127.0.0.1 for DashStream's integration tests.
# The jars come from Maven Central via `mvn` (see scripts/kafka/pom.xml)
# and are cached outside the repo. See scripts/kafka/README.md.
#
#   kafka-broker.sh fetch
#   kafka-broker.sh start DIR      # prints 127.0.0.1:PORT, writes DIR/bootstrap
#                                  # and the secure listener's files (below)
#   kafka-broker.sh stop DIR
#   kafka-broker.sh status DIR     # prints bootstrap, exit 0 iff healthy
#   kafka-broker.sh create-topic DIR NAME PARTITIONS [extra TopicCommand args]
#   kafka-broker.sh delete-topic DIR NAME
#   kafka-broker.sh delete-records DIR TOPIC PARTITION OFFSET
#                                  # Kafka drops the partition's records
#                                  # below OFFSET, as retention would
#   kafka-broker.sh java-tool DIR CLASS [ARGS]
#                                  # runs a Kafka tool (Java client), e.g.
#                                  # org.apache.kafka.tools.TopicCommand
#
# Besides PLAINTEXT (DIR/bootstrap) the broker has a SASL_SSL listener
# (SASL SCRAM-SHA-512 or PLAIN, client certificates required): its address
# is in DIR/bootstrap-sasl-ssl; DIR/secure.env (shell syntax) names the CA,
# the client certificate and key (SASL_SSL_CA, SASL_SSL_CERT, SASL_SSL_KEY:
# PEM, made once with openssl under DIR/tls), the user and its random
# password (SASL_USER, SASL_PASSWORD).
#
# Env: KAFKA_VERSION (default below), DASHSTREAM_CACHE (default
# ~/.cache/dashstream), KAFKA_START_TIMEOUT (s, default 90),
# KAFKA_HEAP_OPTS (default "-Xms256m -Xmx768m").
set -euo pipefail

KAFKA_VERSION_DEFAULT=4.3.1
KAFKA_VERSION="${KAFKA_VERSION:-$KAFKA_VERSION_DEFAULT}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
CACHE_ROOT="${DASHSTREAM_CACHE:-$HOME/.cache/dashstream}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.fetch-complete"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

log() { printf 'kafka-broker: %s\n' "$*" >&2; }

# Error lines first (the plain tail is mostly the config dump), then tail.
# Only looks at the file from line $2 on (this run's part of the log).
show_log() {
  local file="$1" from="${2:-1}"
  log "errors in $file:"
  tail -n "+$from" "$file" |
    grep -E '( ERROR | FATAL |Exception|Error:)' | tail -n 20 >&2 || true
  log "last lines of $file:"
  tail -n "+$from" "$file" | tail -n 40 >&2
}
die() { log "error: $*"; exit 1; }
# shellcheck source=lib/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

usage() {
  sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- fetch ----

# Identifies what the cache was built from; a changed pom forces a refetch.
fetch_stamp() {
  printf 'kafka=%s pom=%s\n' "$KAFKA_VERSION" \
    "$(sha256sum "$POM" | cut -d' ' -f1)"
}

fetch_is_complete() {
  [[ -f "$MARKER" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] &&
    [[ "$(cat "$MARKER")" == "$(fetch_stamp)" ]]
}

cmd_fetch() {
  if fetch_is_complete; then
    return 0
  fi
  need mvn "apt-get install -y maven"
  need java "apt-get install -y openjdk-17-jre-headless"
  mkdir -p "$KAFKA_HOME"
  # Serialise concurrent fetches of the same version.
  exec 8>"$KAFKA_HOME/.fetch.lock"
  flock 8
  if fetch_is_complete; then
    exec 8>&-
    return 0
  fi
  log "fetching Kafka $KAFKA_VERSION into $LIBS (Maven Central)..."
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -B -ntp -Dstyle.color=never -f "$POM" \
      dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" \
      -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >"$KAFKA_HOME/fetch.log" 2>&1; then
    grep -E '\[(ERROR|WARNING)\] .' "$KAFKA_HOME/fetch.log" | head -n 5 >&2 ||
      true
    rm -rf "$tmp"
    exec 8>&-
    die "mvn could not resolve the Kafka $KAFKA_VERSION runtime" \
      "(full log: $KAFKA_HOME/fetch.log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
    die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn run"
  # Kafka < 4.0 ships its own slf4j binding (reload4j, configured via
  # log4j.properties); keep only one binding on the classpath.
  if compgen -G "$tmp/slf4j-reload4j-*.jar" >/dev/null; then
    rm -f "$tmp"/log4j-slf4j-impl-*.jar
  fi
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  fetch_stamp >"$MARKER"
  exec 8>&-
  log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

# --------------------------------------------------------------- helpers ---

# Prints N distinct free loopback TCP ports, one per line.
# Kafka cluster ids are 16 random bytes, base64url without padding. Like
# Kafka's own Uuid.randomUuid(), avoid a leading '-' (it reads as an option).
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" == -* ]] || break
  done
  echo "$id"
}

# Is the pid in DIR/pid a live Kafka broker started from DIR?
broker_pid() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 1
  pid="$(cat "$dir/pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF "kafka.Kafka $dir/server.properties" || return 1
  echo "$pid"
}

# Answers a metadata request and lists our broker?
broker_healthy() {
  local bootstrap="$1"
  # Cheap check first: kcat would keep retrying a closed port until -m.
  (exec 3<>"/dev/tcp/${bootstrap%:*}/${bootstrap##*:}") 2>/dev/null ||
    return 1
  kcat -b "$bootstrap" -L -m 5 2>/dev/null | grep -q 'broker 1 at'
}

read_bootstrap() {
  local dir="$1"
  [[ -f "$dir/ports" ]] || return 1
  # shellcheck disable=SC1091
  (source "$dir/ports" && echo "127.0.0.1:$BROKER_PORT")
}

is_running_and_healthy() {
  local dir="$1" bootstrap
  broker_pid "$dir" >/dev/null || return 1
  bootstrap="$(read_bootstrap "$dir")" || return 1
  broker_healthy "$bootstrap" || return 1
  echo "$bootstrap"
}

# Does the running broker have the SASL_SSL listener (one started by an
# older version of this script does not)?
has_secure_listener() {
  local dir="$1"
  [[ -f "$dir/secure.env" && -f "$dir/bootstrap-sasl-ssl" ]] &&
    grep -q '^listeners=.*SASL_SSL://' "$dir/server.properties" 2>/dev/null
}

# ------------------------------------------------------- secure listener ---

# The CA, the broker's certificate (SAN 127.0.0.1 and localhost) and a
# client certificate, PEM, made once per DIR (EC P-256 keys: fast to make);
# the SCRAM user's password likewise. DIR/secure.env names them.
make_tls() {
  local dir="$1" tls="$1/tls"
  [[ -f "$tls/.complete" ]] && grep -q '^SASL_USER=' "$dir/secure.env" \
    2>/dev/null && return 0
  need openssl "apt-get install -y openssl"
  rm -rf "$tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -out "$1" 2>/dev/null; }
    key ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 3650 \
      -subj "/CN=DashStream test CA" -out ca.pem
    sign() { # NAME CN EXT
      key "$1.key"
      openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
        -CAcreateserial -sha256 -days 3650 -extfile "$1.ext" \
        -out "$1.pem" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign server localhost \
      "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
    sign client dashstream-test "extendedKeyUsage=clientAuth"
    # Kafka's PEM key store: the private key (PKCS#8) then the chain.
    cat server.key server.pem >server-keystore.pem
    chmod 600 ./*.key server-keystore.pem
  ) || die "making test certificates in $tls failed"
  local password
  password="$(head -c 18 /dev/urandom | base64 | tr -d '+/=\n')"
  cat >"$dir/secure.env" <<EOF
# Generated by scripts/kafka-broker.sh: the SASL_SSL listener's client
# side. The user logs in with SCRAM-SHA-512 or PLAIN.
SASL_SSL_CA=$tls/ca.pem
SASL_SSL_CERT=$tls/client.pem
SASL_SSL_KEY=$tls/client.key
SASL_USER=dashstream
SASL_PASSWORD=$password
EOF
  chmod 600 "$dir/secure.env"
  touch "$tls/.complete"
}

# What the SCRAM user was made from, so a new password is applied once.
scram_stamp() {
  # shellcheck disable=SC1091
  (source "$1/secure.env" &&
    printf '%s:%s' "$SASL_USER" "$SASL_PASSWORD" | sha256sum |
    cut -d' ' -f1)
}

scram_arg() {
  # shellcheck disable=SC1091
  (source "$1/secure.env" &&
    printf 'SCRAM-SHA-512=[name=%s,password=%s]' "$SASL_USER" \
      "$SASL_PASSWORD")
}

# The user exists after `format --add-scram`; a data dir formatted without
# it (or with an older password) gets it through the PLAINTEXT listener.
ensure_scram_user() {
  local dir="$1" bootstrap="$2" stamp user
  stamp="$(scram_stamp "$dir")"
  [[ "$(cat "$dir/data/scram.stamp" 2>/dev/null)" == "$stamp" ]] && return 0
  # shellcheck disable=SC1091
  user="$(source "$dir/secure.env" && echo "$SASL_USER")"
  java_tool "$dir" kafka.admin.ConfigCommand --bootstrap-server "$bootstrap" \
    --alter --entity-type users --entity-name "$user" \
    --add-config "$(scram_arg "$dir" | sed 's/^SCRAM-SHA-512=\[name=[^,]*,/SCRAM-SHA-512=[/')" \
    >>"$dir/format.log" 2>&1 ||
    die "creating the SCRAM user failed (see $dir/format.log)"
  echo "$stamp" >"$dir/data/scram.stamp"
}

# Answers a metadata request over SASL_SSL with the test credentials?
# PLAIN: Debian 12's kcat has librdkafka 2.0.2, whose SCRAM Kafka 4 refuses
# (fixed in librdkafka 2.6.1, confluentinc/librdkafka#4895).
secure_healthy() {
  local dir="$1"
  (
    # shellcheck disable=SC1091
    source "$dir/secure.env"
    kcat -b "$(cat "$dir/bootstrap-sasl-ssl.tmp")" -L -m 5 \
      -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN \
      -X sasl.username="$SASL_USER" \
      -X sasl.password="$SASL_PASSWORD" \
      -X ssl.ca.location="$SASL_SSL_CA" \
      -X ssl.certificate.location="$SASL_SSL_CERT" \
      -X ssl.key.location="$SASL_SSL_KEY" 2>/dev/null |
      grep -q 'broker 1 at'
  )
}

write_config() {
  local dir="$1" bport="$2" cport="$3" sport="$4" tls="$1/tls" user password
  # shellcheck disable=SC1091
  user="$(source "$dir/secure.env" && echo "$SASL_USER")"
  # shellcheck disable=SC1091
  password="$(source "$dir/secure.env" && echo "$SASL_PASSWORD")"
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/kafka-broker.sh -- single-node KRaft test broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport,SASL_SSL://127.0.0.1:$sport
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$dir/data

# The secure listener: SCRAM-SHA-512 or PLAIN over TLS, client
# certificates required. The SCRAM user lives in the metadata log; PLAIN's
# in the JAAS line. (The PLAINTEXT listeners have no SASL at all.)
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$password";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$tls/server-keystore.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$tls/ca.pem
listener.name.sasl_ssl.ssl.client.auth=required

num.network.threads=2
num.io.threads=4
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
delete.topic.enable=true
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

message.max.bytes=8388608
replica.fetch.max.bytes=8388608
log.cleaner.dedupe.buffer.size=16777216
EOF
  cat >"$dir/log4j2.properties" <<'EOF'
# Generated by scripts/kafka-broker.sh: everything goes to stdout, which
# the script redirects to DIR/broker.log.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
EOF
  # Same for Kafka < 4.0, which logs through reload4j (log4j 1.x).
  cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
  cat >"$dir/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"$dir/tools-log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
EOF
}

java_tool() {
  local dir="$1"
  shift
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" \
    -Dlog4j.configuration="file:$dir/tools-log4j.properties" \
    -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------- start ----

cmd_start() {
  local dir
  dir="$(abs_dir "$1")"
  need kcat "apt-get install -y kcat"
  need java "apt-get install -y openjdk-17-jre-headless"

  exec 9>"$dir/.lock"
  flock 9

  local bootstrap pid
  if bootstrap="$(is_running_and_healthy "$dir")"; then
    if has_secure_listener "$dir"; then
      echo "$bootstrap" >"$dir/bootstrap"
      echo "$bootstrap"
      return 0
    fi
    log "broker from $dir has no SASL_SSL listener yet; restarting it"
    stop_dir "$dir"
  elif pid="$(broker_pid "$dir")"; then
    log "broker pid $pid from $dir is not answering; restarting it"
    stop_dir "$dir"
  fi
  rm -f "$dir/bootstrap" "$dir/bootstrap-sasl-ssl" "$dir/pid"

  cmd_fetch

  # Reuse the previous ports on a restart when they are still free, so
  # addresses stay stable; otherwise pick new ones.
  local bport="" cport="" sport=""
  if [[ -f "$dir/ports" ]]; then
    # shellcheck disable=SC1091
    source "$dir/ports"
    bport="${BROKER_PORT:-}"
    cport="${CONTROLLER_PORT:-}"
    sport="${SASL_SSL_PORT:-}"
    if [[ -z "$bport" || -z "$cport" || -z "$sport" ]] ||
        ! port_is_free "$bport" || ! port_is_free "$cport" ||
        ! port_is_free "$sport"; then
      bport="" cport="" sport=""
    fi
  fi
  if [[ -z "$bport" ]]; then
    local ports
    mapfile -t ports < <(free_ports 3)
    bport="${ports[0]}" cport="${ports[1]}" sport="${ports[2]}"
  fi
  printf 'BROKER_PORT=%s\nCONTROLLER_PORT=%s\nSASL_SSL_PORT=%s\n' \
    "$bport" "$cport" "$sport" >"$dir/ports"
  make_tls "$dir"
  write_config "$dir" "$bport" "$cport" "$sport"
  mkdir -p "$dir/data"

  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local cid
    cid="$(random_cluster_id)"
    if ! java_tool "$dir" kafka.tools.StorageTool format \
        -t "$cid" -c "$dir/server.properties" \
        --add-scram "$(scram_arg "$dir")" >>"$dir/format.log" 2>&1; then
      tail -n 40 "$dir/format.log" >&2
      die "formatting storage in $dir/data failed"
    fi
    scram_stamp "$dir" >"$dir/data/scram.stamp"
  fi

  local t0=$SECONDS log_from
  touch "$dir/broker.log"
  log_from=$(($(wc -l <"$dir/broker.log") + 1))
  {
    echo "==== $(date -u +%FT%TZ) starting Kafka $KAFKA_VERSION on" \
      "127.0.0.1:$bport (controller $cport)"
  } >>"$dir/broker.log"
  # Detach fully: new session, no inherited stdio or lock fds, so callers
  # such as ctest that wait for their child's pipes do not hang.
  # shellcheck disable=SC2086
  setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -Dlog4j.configuration="file:$dir/log4j.properties" \
    -Dkafka.logs.dir="$dir/logs" \
    -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/broker.log" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$dir/pid"

  bootstrap="127.0.0.1:$bport"
  while ((SECONDS - t0 < START_TIMEOUT)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during startup"
      show_log "$dir/broker.log" "$log_from"
      rm -f "$dir/pid"
      exit 1
    fi
    if broker_healthy "$bootstrap"; then
      ensure_scram_user "$dir" "$bootstrap"
      echo "127.0.0.1:$sport" >"$dir/bootstrap-sasl-ssl.tmp"
      until secure_healthy "$dir"; do
        if ((SECONDS - t0 >= START_TIMEOUT)); then
          log "the SASL_SSL listener 127.0.0.1:$sport refused the test" \
            "credentials for ${START_TIMEOUT}s"
          show_log "$dir/broker.log" "$log_from"
          stop_dir "$dir"
          exit 1
        fi
        sleep 0.5
      done
      mv "$dir/bootstrap-sasl-ssl.tmp" "$dir/bootstrap-sasl-ssl"
      echo "$bootstrap" >"$dir/bootstrap.tmp"
      mv "$dir/bootstrap.tmp" "$dir/bootstrap"
      log "broker up at $bootstrap (SASL_SSL 127.0.0.1:$sport) after" \
        "$((SECONDS - t0))s (pid $pid)"
      echo "$bootstrap"
      return 0
    fi
    sleep 0.5
  done
  log "broker did not answer metadata within ${START_TIMEOUT}s"
  show_log "$dir/broker.log" "$log_from"
  stop_dir "$dir"
  exit 1
}

# ----------------------------------------------------------------- stop ----

stop_dir() {
  stop_service "$1" bootstrap broker_pid broker
}

cmd_status() {
  local dir="$1" bootstrap
  [[ -d "$dir" ]] || exit 1
  dir="$(abs_dir "$dir")"
  need kcat "apt-get install -y kcat"
  if bootstrap="$(is_running_and_healthy "$dir")"; then
    echo "$bootstrap"
    return 0
  fi
  exit 1
}

running_bootstrap() {
  local dir="$1" bootstrap
  bootstrap="$(is_running_and_healthy "$dir")" ||
    die "no healthy broker in $dir; run: $0 start $dir"
  echo "$bootstrap"
}

cmd_create_topic() {
  local dir name="$2" parts="$3" bootstrap
  dir="$(abs_dir "$1")"
  shift 3
  [[ "$parts" =~ ^[0-9]+$ ]] || die "PARTITIONS must be a number"
  bootstrap="$(running_bootstrap "$dir")"
  cmd_fetch
  java_tool "$dir" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$name" --partitions "$parts" --replication-factor 1 "$@" 1>&2
}

cmd_delete_topic() {
  local dir name="$2" bootstrap
  dir="$(abs_dir "$1")"
  bootstrap="$(running_bootstrap "$dir")"
  cmd_fetch
  java_tool "$dir" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$bootstrap" --delete --if-exists --topic "$name" 1>&2
}

cmd_delete_records() {
  local dir topic="$2" part="$3" offset="$4" bootstrap spec
  dir="$(abs_dir "$1")"
  [[ "$part" =~ ^[0-9]+$ && "$offset" =~ ^[0-9]+$ ]] ||
    die "PARTITION and OFFSET must be numbers"
  bootstrap="$(running_bootstrap "$dir")"
  cmd_fetch
  spec="$(mktemp)"
  printf '{"version":1,"partitions":[{"topic":"%s","partition":%s,"offset":%s}]}\n' \
    "$topic" "$part" "$offset" >"$spec"
  java_tool "$dir" org.apache.kafka.tools.DeleteRecordsCommand \
    --bootstrap-server "$bootstrap" --offset-json-file "$spec" 1>&2
  rm -f "$spec"
}

main() {
  (($# >= 1)) || usage
  local cmd="$1"
  shift
  case "$cmd" in
    fetch) (($# == 0)) || usage; cmd_fetch ;;
    start) (($# == 1)) || usage; cmd_start "$1" ;;
    stop) (($# == 1)) || usage; cmd_stop "$1" ;;
    status) (($# == 1)) || usage; cmd_status "$1" ;;
    create-topic) (($# >= 3)) || usage; cmd_create_topic "$@" ;;
    delete-topic) (($# == 2)) || usage; cmd_delete_topic "$@" ;;
    delete-records) (($# == 4)) || usage; cmd_delete_records "$@" ;;
    java-tool)
      (($# >= 2)) || usage
      cmd_fetch
      java_tool "$(abs_dir "$1")" "${@:2}"
      ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
