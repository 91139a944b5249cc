#!/usr/bin/env python3
"""The daemon against the test broker's SASL_SSL listener (TLS with a
client certificate, SASL; scripts/kafka-broker.sh makes the certificates
and the user):

1. records produced through the PLAINTEXT listener are all processed by a
   daemon that reads them through SASL_SSL (PLAIN; CA, client certificate
   and key from its TOML file, user and password from KAFKA_SASL_* env),
   which then stops cleanly on SIGTERM;
2. SCRAM-SHA-512 with the right password: the same, where librdkafka can
   (>= 2.6.1); older librdkafka's SCRAM is refused by Kafka 4
   (librdkafka#4895), and then startup must fail like 3., while Kafka's
   own Java client logs in with SCRAM-SHA-512 over the same listener, and
   the daemon consumes every record through SCRAM-SHA-512 over TLS from a
   Kafka 3.9 broker (same script, same listener setup) that this test
   starts;
3. a wrong password: startup fails within seconds with exit 77 and one
   "error: cannot start: Kafka authentication failed for user ..." line;
4. no client certificate: exit 77 and "Kafka TLS handshake failed";
5. no password (right or wrong) in any line any of these runs printed;
6. `config print --effective` shows the password from the env as "***".

usage: kafka_security_test.py path/to/dashstream
env: DS_KAFKA_BOOTSTRAP_FILE (the broker fixture), DS_RDKAFKA_VERSION
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "monitoring"))
import monlib  # noqa: E402
from monlib import Child, eventually, fail, http_get, log  # noqa: E402

RECORDS = 300
EXIT_NOPERM = 77
STARTUP_FAILURE_LIMIT = 30  # seconds a refused start may take at most


def read_env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def version_tuple(text):
    try:
        return tuple(int(x) for x in text.split(".")[:3])
    except ValueError:
        return (0, 0, 0)


# The newest Kafka whose SCRAM check accepts librdkafka < 2.6.1's.
OLD_SCRAM_KAFKA = "3.9.1"


class Setup:
    def __init__(self, binary, tmp, bootstrap_file=None):
        self.binary = binary
        self.tmp = tmp
        bootstrap_file = bootstrap_file or os.environ.get(
            "DS_KAFKA_BOOTSTRAP_FILE")
        if not bootstrap_file:
            fail("DS_KAFKA_BOOTSTRAP_FILE is not set (run through ctest)")
        broker_dir = os.path.dirname(bootstrap_file)
        self.plain = open(bootstrap_file).read().strip()
        secure_file = os.path.join(broker_dir, "bootstrap-sasl-ssl")
        if not os.path.exists(secure_file):
            fail(f"{secure_file} missing: the broker has no SASL_SSL "
                 "listener (scripts/kafka-broker.sh start)")
        self.secure = open(secure_file).read().strip()
        self.creds = read_env_file(os.path.join(broker_dir, "secure.env"))
        self.topic = f"security-test-{os.getpid()}"
        self.runs = []  # every Child, for the password search

    def config_file(self, name, mechanism, client_cert=True):
        c = self.creds
        lines = ["[kafka]",
                 f'brokers = "{self.secure}"',
                 f'topic = "{self.topic}"',
                 f'group_id = "{name}-{os.getpid()}"',
                 'auto_offset_reset = "earliest"',
                 'security_protocol = "sasl_ssl"',
                 f'sasl_mechanism = "{mechanism}"',
                 f'ssl_ca_location = "{c["SASL_SSL_CA"]}"']
        if client_cert:
            lines += [f'ssl_certificate_location = "{c["SASL_SSL_CERT"]}"',
                      f'ssl_key_location = "{c["SASL_SSL_KEY"]}"']
        lines += ["", "[http]", "port = 0", "",
                  "[pipeline]", "scheduler_threads = 1", "",
                  "[dlq]", f'spool_dir = "{self.tmp}/{name}-spool"', "",
                  "[log]", 'level = "debug"', ""]
        path = os.path.join(self.tmp, name + ".toml")
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return path

    def start(self, name, mechanism, password, client_cert=True):
        env = dict(os.environ,
                   KAFKA_SASL_USERNAME=self.creds["SASL_USER"],
                   KAFKA_SASL_PASSWORD=password)
        # librdkafka's own security and broker debug lines go through our
        # log too: they must not carry the password either.
        argv = [self.binary, "run", "--config",
                self.config_file(name, mechanism, client_cert),
                "--set", "kafka.properties.debug=security,broker"]
        child = Child(name, argv, self.tmp, env=env)
        self.runs.append(child)
        return child


def java_scram_lists_topic(s):
    """Kafka's Java client (TopicCommand) lists the topics through the
    SASL_SSL listener with SCRAM-SHA-512 and the client certificate."""
    c = s.creds
    keystore = os.path.join(s.tmp, "client-keystore.pem")
    with open(keystore, "w") as out:
        for part in ("SASL_SSL_KEY", "SASL_SSL_CERT"):
            with open(c[part]) as f:
                out.write(f.read())
    props = os.path.join(s.tmp, "java-client.properties")
    with open(props, "w") as f:
        f.write("security.protocol=SASL_SSL\n"
                "sasl.mechanism=SCRAM-SHA-512\n"
                "sasl.jaas.config=org.apache.kafka.common.security.scram."
                f'ScramLoginModule required username="{c["SASL_USER"]}" '
                f'password="{c["SASL_PASSWORD"]}";\n'
                "ssl.truststore.type=PEM\n"
                f"ssl.truststore.location={c['SASL_SSL_CA']}\n"
                "ssl.keystore.type=PEM\n"
                f"ssl.keystore.location={keystore}\n")
    out = subprocess.run(
        ["bash", os.environ["DS_KAFKA_BROKER_SH"], "java-tool",
         os.path.dirname(os.environ["DS_KAFKA_BOOTSTRAP_FILE"]),
         "org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
         s.secure, "--command-config", props, "--list"],
        capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or s.topic not in out.stdout.split():
        fail("Kafka's Java client could not list the topics with "
             f"SCRAM-SHA-512 (exit {out.returncode}):\n{out.stdout}"
             f"{out.stderr[-2000:]}")


def processed_ok(port):
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    if status != 200:
        return None
    fams = monlib.parse_exposition(body)
    return monlib.value(fams, "dashstream_records_total", outcome="ok")


def consume_all(s, name, mechanism):
    d = s.start(name, mechanism, s.creds["SASL_PASSWORD"])

    def port():
        if not d.alive():
            fail(f"{name} exited early (rc {d.proc.returncode}):\n{d.tail()}")
        return monlib.daemon_http_port(d)

    p = eventually(port, 60, f"{name}'s HTTP port")
    t0 = time.monotonic()
    eventually(lambda: (processed_ok(p) or 0) >= RECORDS, 90,
               f"{name} to process {RECORDS} records through SASL_SSL "
               f"({mechanism})")
    got = processed_ok(p)
    if got != RECORDS:
        fail(f"{name} processed {got} records, {RECORDS} were produced")
    log(f"{name}: {RECORDS}/{RECORDS} records through SASL_SSL "
        f"({mechanism}, client certificate) in "
        f"{time.monotonic() - t0:.1f} s")
    rc = d.stop()
    if rc != 0:
        fail(f"{name} exited {rc} on SIGTERM:\n{d.tail()}")


def refused_start(s, name, mechanism, password, expect, client_cert=True):
    d = s.start(name, mechanism, password, client_cert)
    t0 = time.monotonic()
    try:
        rc = d.proc.wait(STARTUP_FAILURE_LIMIT)
    except subprocess.TimeoutExpired:
        fail(f"{name} still running after {STARTUP_FAILURE_LIMIT} s:\n"
             f"{d.tail()}")
    elapsed = time.monotonic() - t0
    d.stop()
    if rc != EXIT_NOPERM:
        fail(f"{name} exited {rc}, not {EXIT_NOPERM}:\n{d.tail()}")
    errors = [line for line in d.log_text().splitlines()
              if line.startswith("error: ")]
    if len(errors) != 1 or not errors[0].startswith(
            "error: cannot start: " + expect):
        fail(f"{name}: want one 'error: cannot start: {expect}...' line, "
             f"got {errors}:\n{d.tail()}")
    log(f"{name}: exit {rc} after {elapsed:.1f} s: {errors[0][:160]}...")
    return errors[0]


def produce(s):
    out = subprocess.run(
        [s.binary, "produce", "--brokers", s.plain, "--topic", s.topic,
         "--create-topic", "2", "--count", str(RECORDS)],
        capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        fail(f"produce failed ({out.returncode}):\n{out.stderr}")
    log(f"{RECORDS} records in {s.topic} (through PLAINTEXT "
        f"{s.plain}); SASL_SSL at {s.secure}")


def scram_on_old_kafka(binary, tmp, runs):
    """The daemon through SCRAM-SHA-512 over TLS (client certificate) on a
    Kafka 3.9 broker, which accepts librdkafka < 2.6.1's SCRAM."""
    broker_dir = os.path.join(tmp, "kafka-" + OLD_SCRAM_KAFKA)
    script = os.environ["DS_KAFKA_BROKER_SH"]
    env = dict(os.environ, KAFKA_VERSION=OLD_SCRAM_KAFKA)
    t0 = time.monotonic()
    out = subprocess.run(["bash", script, "start", broker_dir], env=env,
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        fail(f"Kafka {OLD_SCRAM_KAFKA} did not start:\n{out.stderr[-3000:]}")
    try:
        log(f"Kafka {OLD_SCRAM_KAFKA} up in {time.monotonic() - t0:.1f} s")
        s = Setup(binary, tmp, os.path.join(broker_dir, "bootstrap"))
        s.runs = runs
        produce(s)
        consume_all(s, "scram-kafka39", "SCRAM-SHA-512")
    finally:
        subprocess.run(["bash", script, "stop", broker_dir], env=env,
                       capture_output=True, timeout=120)


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ds-kafka-security-")
    s = Setup(binary, tmp)
    right = s.creds["SASL_PASSWORD"]
    wrong = "wrong-" + right[::-1]
    ok = False
    try:
        produce(s)
        consume_all(s, "plain", "PLAIN")

        rdkafka = os.environ.get("DS_RDKAFKA_VERSION", "0")
        if version_tuple(rdkafka) >= (2, 6, 1):
            consume_all(s, "scram", "SCRAM-SHA-512")
        else:
            d = refused_start(s, "scram", "SCRAM-SHA-512", right,
                              "Kafka authentication failed for user "
                              f"'{s.creds['SASL_USER']}'")
            if "librdkafka#4895" not in d:
                fail(f"the SCRAM refusal does not name the librdkafka "
                     f"limitation: {d}")
            java_scram_lists_topic(s)
            log(f"(librdkafka {rdkafka} < 2.6.1: Kafka 4 refuses its "
                "SCRAM, librdkafka#4895; refused cleanly, while Kafka's "
                "Java client logs in with SCRAM-SHA-512 and lists the "
                "topic)")
            scram_on_old_kafka(binary, tmp, s.runs)

        refused_start(s, "wrong-password", "PLAIN", wrong,
                      "Kafka authentication failed for user "
                      f"'{s.creds['SASL_USER']}' on {s.secure} "
                      "(SASL PLAIN over sasl_ssl)")
        refused_start(s, "no-client-cert", "PLAIN", right,
                      f"Kafka TLS handshake failed on {s.secure}",
                      client_cert=False)

        for child in s.runs:
            text = child.log_text()
            for secret in (right, wrong):
                if secret in text:
                    line = next(x for x in text.splitlines() if secret in x)
                    fail(f"a password in {child.log_path}: {line[:300]}")
        lines = sum(len(c.log_text().splitlines()) for c in s.runs)
        log(f"no password in any of {lines} lines from {len(s.runs)} runs")

        env = dict(os.environ, KAFKA_SASL_PASSWORD=right,
                   KAFKA_SASL_USERNAME=s.creds["SASL_USER"])
        out = subprocess.run(
            [binary, "config", "print", "--effective", "--set",
             "kafka.security_protocol=sasl_ssl"],
            capture_output=True, text=True, env=env, timeout=30)
        printed = out.stdout + out.stderr
        if out.returncode != 0:
            fail(f"config print exited {out.returncode}:\n{printed}")
        if right in printed:
            fail("config print --effective shows the password")
        want = 'sasl_password = "***"'
        shown = [x for x in printed.splitlines() if "sasl_password" in x]
        if not shown or not shown[0].startswith(want):
            fail(f"config print --effective: want '{want}', got {shown}")
        log(f"config print --effective: {shown[0].strip()}")
        ok = True
    finally:
        monlib.stop_all(s.runs, tmp, ok)
        subprocess.run(["bash", os.environ.get("DS_KAFKA_BROKER_SH", "true"),
                        "delete-topic", os.path.dirname(
                            os.environ["DS_KAFKA_BOOTSTRAP_FILE"]), s.topic],
                       capture_output=True, timeout=60)
    log("PASS")


if __name__ == "__main__":
    main()
