#!/usr/bin/env python3
"""End to end: real faults -> the daemons' /metrics -> real Prometheus
evaluating our rules -> real Alertmanager with our routing -> a webhook.

Everything runs on 127.0.0.1 with free ports and temporary directories: a
private Apache Kafka broker (scripts/kafka-broker.sh), four daemons, each
the scrape target of one family of faults, Prometheus, Alertmanager and a
webhook receiver inside this script. Every alert rule of
monitoring/alert_rules.yml but one is made to fire by a fault injected into
a real daemon, reaches Alertmanager, and resolves once the fault is gone;
the phases below say which fault makes which alert fire, NOT_LIVE why the
one left cannot (docs/reliability.md, "Alerts proven live", has the
table), and the test fails if a rule is added that no phase expects.

Each phase lists the alerts it expects (each must fire and resolve) and
the ones it allows as a side effect, with the reason. Any other alert that
fires, on any daemon, at any time, fails the test: Prometheus's firing
alerts are polled throughout and each new firing is checked against the
phases open at that moment. "Fired" means the webhook was notified, or
Alertmanager held the alert suppressed by a higher tier of its signal
(inhibition); each phase with tiers checks that the lower tier was
suppressed by the higher one in Alertmanager.

The tracks run in parallel, each on its own daemon (scrape target):

- setup: Prometheus starts with no target in job "dashstream"
  (DashStreamAbsent), then gets the four daemons through file_sd.
- A "records": a stream with sequence gaps, duplicates, reorders and
  undecodable records; then a stalled partition reader (the wedge hook of
  dashstream-faults) while records flow; then the daemon stops and starts
  again.
- S "supervision": a record that crashes its partition reader (crash hook)
  until the supervisors give up and the process exits, three times (the
  test restarts it, as a service manager would), then the release without
  the fault runs and sends the record to the DLQ.
- D "dead letters": the DLQ topic refuses every record (its
  max.message.bytes is below their size), with a spool left by an earlier
  run of the daemon ten minutes ago; rejected records spool until the
  spool is full, the partition stalls behind them and lags; then the
  topic is fixed. After that its source topic is deleted under it (Kafka
  infrastructure errors, the circuit breaker) and created again.
- W "clients and producers": a resume older than Kafka's retention, bad
  tokens, clients that stop reading, a client session that crashes
  (session hook), and producers whose quality scores are low and whose
  clocks run 5 minutes ahead.

The rules are the shipped monitoring/alert_rules.yml with every duration
divided by FACTOR (scripts/monitoring/scale_rules.py; static_checks.py
proves nothing else differs), scraped and evaluated every second. Counts
and ages in the rules are not durations and are not scaled: where a rule
compares an age (a partition stale for 120/300 s, a spool record older
than 300 s) the test gives the record that age (an old Kafka timestamp, a
spool written "ten minutes ago") instead of waiting minutes. The
Alertmanager config is the shipped one with the webhook URL pointed here
and its group timers shortened. Deadlines are generous; nothing asserts on
how fast anything happens.

    alerts_e2e.py DASHSTREAM_FAULTS_BIN DASHSTREAM_BIN

Needs Debian's python3 with python3-yaml, python3-websockets and
python3-jwt, and librdkafka1 (tests/monitoring/kafkarecords.py).
"""
import asyncio
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

import jwt
import websockets
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts", "monitoring"))
import kafkarecords as kr  # noqa: E402
import monlib  # noqa: E402
import scale_rules  # noqa: E402
from monlib import REPO, Child, http_get  # noqa: E402

FACTOR = 15  # 5m windows -> 20 s, for: 1m -> 4 s, 1h -> 4 min
BROKER_SH = os.path.join(REPO, "scripts", "kafka-broker.sh")
WEDGE_KEY = "ds-test-hook-wedge"          # tests/support/fault_hooks.hpp
CRASH_KEY = "ds-test-hook-crash-reader"
CRASH_SESSION = "ds-test-hook-crash-session"

# The one rule no fault of this test can make fire, and why
# (docs/reliability.md, "Alerts proven live").
NOT_LIVE = {
    "DashStreamWebSocketMirrorFailing":
        "dashstream_websocket_mirror_errors_total counts only polls that "
        "librdkafka answers with an error and failed assigns. A broker "
        "outage or a deleted topic reaches the mirror's assign()-based "
        "consumer as log lines, not as errors of rd_kafka_consumer_poll "
        "(0 mirror errors with two daemons through a 60 s broker outage "
        "and a 45 s topic deletion), and an assign happens only after a "
        "rebalance and a partition count, which need a working broker. "
        "Firing it needs a fault hook in the mirror (a C++ change); "
        "promtool proves the rule (alert_rules_test.yml).",
}


class TestFailure(Exception):
    pass


def fail(msg):
    raise TestFailure(msg)


_log_lock = threading.Lock()


def log(msg):
    name = threading.current_thread().name
    # Tracks and the watcher are named; the webhook's request threads not.
    prefix = ("" if name == "MainThread" or name.startswith("Thread-")
              else f"[{name}] ")
    with _log_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {prefix}{msg}", flush=True)


def eventually(pred, limit, what, step=0.25):
    deadline = time.monotonic() + limit
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            fail(f"timed out after {limit}s waiting for {what}")
        time.sleep(step)


def broker(kafka_dir, cmd, *args):
    r = subprocess.run([BROKER_SH, cmd, kafka_dir, *args],
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        fail(f"kafka-broker.sh {cmd} failed:\n{r.stderr[-3000:]}")
    return r.stdout.strip()


def scrape(port):
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    return monlib.exported_families(body) if status == 200 else {}


def metric(port, family, **labels):
    return monlib.value(scrape(port), family, **labels)


# ------------------------------------------------------------ observers --

class Webhook:
    """Alertmanager's webhook receiver: keeps every notification."""

    def __init__(self, port):
        self.events = []  # (time, alertname, instance, status)
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                msg = json.loads(body)
                now = time.monotonic()
                with hook.lock:
                    for a in msg.get("alerts", []):
                        lab = a["labels"]
                        name = lab.get("alertname")
                        inst = lab.get("instance", "")
                        hook.events.append((now, name, inst, a["status"]))
                        log(f"webhook: {name} {a['status']} on "
                            f"{inst or 'the job'} (receiver "
                            f"{msg.get('receiver')})")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                      Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name="webhook").start()

    def notified(self, name, inst, since):
        with self.lock:
            return any(t >= since and n == name and i == inst and
                       s == "firing" for t, n, i, s in self.events)

    def resolved_after_last_firing(self, name, inst, since):
        """True when no firing notification came since `since`, or a
        resolved one came after the last of them."""
        with self.lock:
            evs = [(t, s) for t, n, i, s in self.events
                   if n == name and i == inst and t >= since]
        last = max((t for t, s in evs if s == "firing"), default=None)
        return last is None or any(t > last and s == "resolved"
                                   for t, s in evs)

    def stop(self):
        self.server.shutdown()


class Phase:
    """Alerts one fault must make fire on one scrape target (`instance`;
    "" for the job-wide DashStreamAbsent), the ones it may also make fire
    (`allow`: name -> why), and the tier pairs (lower, higher) whose lower
    alert Alertmanager must show suppressed by the higher one."""

    def __init__(self, watch, name, instance, expect, allow=None,
                 inhibited=()):
        self.watch = watch
        self.name = name
        self.instance = instance
        self.expect = list(expect)
        self.allow = dict(allow or {})
        self.inhibited = list(inhibited)
        self.start = time.monotonic()
        self.end = None
        watch.add(self)
        log(f"phase '{name}' on {instance or 'the job'}: expects "
            f"{', '.join(self.expect)}")

    def allows(self, name, inst, at):
        return (inst == self.instance and name in self.expect + list(
            self.allow) and self.start <= at and
            (self.end is None or at <= self.end))

    def fired(self, name):
        return self.watch.fired(name, self.instance, self.start)

    def wait_fired(self, names=None, limit=180):
        for n in names or self.expect:
            eventually(lambda: self.fired(n), limit,
                       f"{n} to fire ({self.name})")
        return time.monotonic()

    def resolved(self, name):
        return self.watch.resolved(name, self.instance, self.start)

    def wait_resolved(self, limit=300):
        t0 = time.monotonic()
        for n in self.expect:
            eventually(lambda: self.resolved(n), limit,
                       f"{n} to resolve ({self.name})")
        for n in self.allow:
            if self.fired(n):
                eventually(lambda: self.resolved(n), limit,
                           f"{n} (allowed side effect) to resolve")
        log(f"phase '{self.name}': resolved after "
            f"{time.monotonic() - t0:.0f}s")

    def check_inhibited(self):
        for lower, higher in self.inhibited:
            if not self.watch.was_inhibited(lower, higher, self.instance,
                                            self.start):
                fail(f"{self.name}: Alertmanager never showed {lower} "
                     f"suppressed by {higher} on {self.instance}")
            log(f"phase '{self.name}': {lower} was inhibited by {higher} "
                "in Alertmanager")

    def close(self):
        for n in self.expect:
            if not self.fired(n):
                fail(f"{self.name}: {n} never fired")
        self.check_inhibited()
        self.end = time.monotonic()
        self.watch.closed(self)


class Watch:
    """Polls Prometheus's alerts (the source of truth on what fires) and
    Alertmanager's (what it received and what it suppressed). Every new
    firing must be allowed by a phase open on its instance; a firing no
    phase expected is recorded as a violation, which fails the test."""

    def __init__(self, prom_port, am_port, hook):
        self.prom = prom_port
        self.am = am_port
        self.hook = hook
        self.lock = threading.Lock()
        self.phases = []
        self.firing_now = set()      # (name, instance)
        self.activations = {}        # (name, inst, activeAt) -> first seen
        self.first_firing = {}       # (name, inst) -> [times seen firing]
        self.suppressed = []         # (time, name, inst, [inhibitor names])
        self.violations = []
        self.history = {}            # name -> set of (phase, how)
        self.running = True
        threading.Thread(target=self.loop, daemon=True, name="watch").start()

    def add(self, phase):
        with self.lock:
            self.phases.append(phase)

    def closed(self, phase):
        with self.lock:
            for n in phase.expect:
                how = ("webhook" if self.hook.notified(n, phase.instance,
                                                       phase.start)
                       else "inhibited")
                self.history.setdefault(n, set()).add((phase.name, how))

    def allowed(self, name, inst, at):
        with self.lock:
            return any(p.allows(name, inst, at) for p in self.phases)

    def loop(self):
        while self.running:
            try:
                self.poll_prometheus()
                self.poll_alertmanager()
            except Exception as e:  # noqa: BLE001 (keep watching)
                log(f"watch: {e!r}")
            time.sleep(0.4)

    def poll_prometheus(self):
        status, body = http_get(f"http://127.0.0.1:{self.prom}/api/v1/alerts")
        if status != 200:
            return
        now = time.monotonic()
        firing = set()
        for a in json.loads(body)["data"]["alerts"]:
            if a["state"] != "firing":
                continue
            lab = a["labels"]
            key = (lab["alertname"], lab.get("instance", ""))
            firing.add(key)
            act = key + (a.get("activeAt", ""),)
            if act in self.activations:
                continue
            self.activations[act] = now
            with self.lock:
                self.first_firing.setdefault(key, []).append(now)
            if not self.allowed(key[0], key[1], now):
                msg = (f"{key[0]} fired on {key[1] or 'the job'}, which no "
                       "open phase expects")
                log("UNEXPECTED: " + msg)
                with self.lock:
                    self.violations.append(msg)
        with self.lock:
            self.firing_now = firing

    def poll_alertmanager(self):
        status, body = http_get(f"http://127.0.0.1:{self.am}/api/v2/alerts")
        if status != 200:
            return
        now = time.monotonic()
        alerts = json.loads(body)
        names = {a["fingerprint"]: a["labels"].get("alertname")
                 for a in alerts}
        for a in alerts:
            st = a["status"]
            if st["state"] == "suppressed" and st.get("inhibitedBy"):
                lab = a["labels"]
                with self.lock:
                    self.suppressed.append((
                        now, lab.get("alertname"), lab.get("instance", ""),
                        [names.get(f, "?") for f in st["inhibitedBy"]]))

    def fired(self, name, inst, since):
        if self.hook.notified(name, inst, since):
            return True
        with self.lock:
            return any(t >= since and n == name and i == inst
                       for t, n, i, _ in self.suppressed)

    def was_inhibited(self, lower, higher, inst, since):
        with self.lock:
            return any(t >= since and n == lower and i == inst and
                       higher in by for t, n, i, by in self.suppressed)

    def resolved(self, name, inst, since):
        with self.lock:
            if (name, inst) in self.firing_now:
                return False
        return self.hook.resolved_after_last_firing(name, inst, since)

    def stop(self):
        self.running = False


# ---------------------------------------------------------------- setup --

def derived_configs(tmp, targets_file, am_port, hook_port):
    rules = os.path.join(tmp, "alert_rules.yml")
    with open(rules, "w") as f:
        f.write(scale_rules.scale_text(monlib.read(
            "monitoring/alert_rules.yml"), FACTOR))

    prom = monlib.load_yaml("monitoring/prometheus.yml")
    prom["global"].update(scrape_interval="1s", scrape_timeout="1s",
                          evaluation_interval="1s")
    prom["rule_files"] = [rules]
    prom["alerting"]["alertmanagers"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{am_port}"]}]
    job = prom["scrape_configs"][0]
    assert job["job_name"] == "dashstream"
    # The targets come and go through file service discovery: none at
    # first (DashStreamAbsent), then the four daemons.
    del job["static_configs"]
    job["file_sd_configs"] = [{"files": [targets_file],
                               "refresh_interval": "1s"}]
    prom_path = os.path.join(tmp, "prometheus.yml")
    with open(prom_path, "w") as f:
        yaml.safe_dump(prom, f)

    am = monlib.load_yaml("monitoring/alertmanager.yml")
    url = f"http://127.0.0.1:{hook_port}/alerts"
    hooks = 0
    for r in am["receivers"]:
        for w in r.get("webhook_configs", []):
            w["url"] = url
            hooks += 1
    if hooks != len(am["receivers"]):
        fail("every receiver in monitoring/alertmanager.yml should have the "
             "webhook")

    def shorten(route):
        for k in ("group_wait", "group_interval"):
            if k in route or route is am["route"]:
                route[k] = "1s"
        for child in route.get("routes", []):
            shorten(child)
    shorten(am["route"])
    am_path = os.path.join(tmp, "alertmanager.yml")
    with open(am_path, "w") as f:
        yaml.safe_dump(am, f)

    for argv in (["promtool", "check", "config", prom_path],
                 ["amtool", "check-config", am_path]):
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{' '.join(argv)}:\n{r.stdout}{r.stderr}")
    return prom_path, am_path


def write_targets(path, ports):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump([{"targets": [f"127.0.0.1:{p}" for p in ports]}], f)
    os.replace(tmp, path)


class Daemon:
    """One scrape target: `dashstream run` restarted on the same HTTP port
    (the same Prometheus instance) whenever the test restarts it."""

    def __init__(self, ctx, name, binary, topic, settings):
        self.ctx = ctx
        self.name = name
        self.binary = binary
        self.topic = topic
        self.settings = [f"kafka.brokers={ctx.bootstrap}",
                         f"kafka.topic={topic}",
                         f"kafka.group_id=e2e-{name}-{os.getpid()}",
                         f"dlq.spool_dir={ctx.tmp}/spool-{name}",
                         "kafka.session_timeout_ms=6000",
                         "kafka.lag_check_interval_secs=1"] + settings
        self.port = 0
        self.child = None
        self.starts = 0

    def start(self, binary=None, settings=()):
        extra = [f"http.port={self.port}"] if self.port else []
        self.starts += 1
        logdir = os.path.join(self.ctx.tmp, f"{self.name}-{self.starts}")
        os.makedirs(logdir, exist_ok=True)
        self.child, port = monlib.start_daemon(
            binary or self.binary, self.settings + list(settings) + extra,
            logdir, name=self.name)
        self.port = self.port or port
        self.ctx.children.append(self.child)
        return self

    @property
    def instance(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        return self.child.stop() if self.child else None

    def wait_assigned(self, n=1):
        eventually(lambda: metric(self.port, "dashstream_partitions_assigned")
                   >= n, 120, f"{self.name} to be assigned its partitions")


class Context:
    def __init__(self, faults_bin, plain_bin, tmp):
        self.faults_bin = faults_bin
        self.plain_bin = plain_bin
        self.tmp = tmp
        self.kafka_dir = os.path.join(tmp, "kafka")
        self.children = []
        self.bootstrap = None
        self.watch = None

    def create_topic(self, name, partitions, *config):
        if config:
            broker(self.kafka_dir, "create-topic", name, str(partitions),
                   *[a for c in config for a in ("--config", c)])
            return
        r = subprocess.run([self.plain_bin, "produce", "--brokers",
                            self.bootstrap, "--topic", name, "--count", "0",
                            "--create-topic", str(partitions)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"creating topic {name}: {r.stderr[-2000:]}")

    def producer(self):
        return kr.Producer(self.bootstrap)


# ------------------------------------------------------------- track A --

def faulty_stream(ctx, topic, seconds, rate):
    """`rate` records a second for `seconds` over 10 sequenced threads,
    with what `dashstream produce --inject-*` injects: of every 100
    records about 3 follow a gap (1-5 sequence numbers burnt), 3 are sent
    twice (duplicates), 3 pairs go out of order (reorders), and 8 are not
    DashStream records at all (undecodable: over the 5 % decode-error
    threshold, and each goes to the DLQ). No record carries a header
    timestamp, so none enters the latency histogram: on a 2-core machine
    running four daemons and Kafka, live records can lag half a second
    behind for a while, and DashStreamE2ELatencyHigh belongs to the stalled
    reader phase alone."""
    rng = random.Random(26)
    prod = ctx.producer()
    threads = [f"seq-{i}" for i in range(10)]
    nxt = dict.fromkeys(threads, 1)
    counts = dict.fromkeys(["records", "gaps", "duplicates", "reorders",
                            "undecodable"], 0)
    t0 = time.monotonic()
    for n in range(seconds * rate):
        th = threads[n % len(threads)]
        r = rng.random()
        if r < 0.08:
            prod.produce(topic, b"\x07not a DashStream record", key=th)
            counts["undecodable"] += 1
        elif r < 0.11:
            nxt[th] += rng.randint(1, 5)
            counts["gaps"] += 1
        if 0.11 <= r < 0.14:
            v = kr.event(th, timestamp_us=0, sequence=nxt[th])
            prod.produce(topic, v, key=th)
            prod.produce(topic, v, key=th)
            nxt[th] += 1
            counts["duplicates"] += 1
        elif 0.14 <= r < 0.17:
            first = kr.event(th, timestamp_us=0, sequence=nxt[th])
            second = kr.event(th, timestamp_us=0, sequence=nxt[th] + 1)
            prod.produce(topic, second, key=th)
            prod.produce(topic, first, key=th)
            nxt[th] += 2
            counts["reorders"] += 1
        elif r >= 0.08:
            prod.produce(topic, kr.event(th, timestamp_us=0,
                                         sequence=nxt[th]), key=th)
            nxt[th] += 1
        counts["records"] += 1
        if n % 10 == 0:
            prod.lib.rd_kafka_poll(prod.rk, 0)
            wait = t0 + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
    prod.flush()
    prod.close()
    return counts


def track_records(ctx, a):
    """Sequence faults and corrupt records; a stalled partition reader;
    the daemon stopped and started again."""
    watch = ctx.watch
    p = Phase(watch, "sequence faults and corrupt records", a.instance, [
        "DashStreamSequenceGaps", "DashStreamSequenceDuplicateRate",
        "DashStreamSequenceReorderRate", "DashStreamDecodeErrorRate",
        "DashStreamProcessingErrorRate", "DashStreamDLQRateHigh"])
    counts = faulty_stream(ctx, a.topic, seconds=40, rate=100)
    log("sent " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    p.wait_fired(limit=120)
    p.wait_resolved()
    p.close()

    # A partition reader stalls (the wedge hook blocks its scheduler thread
    # 3 s out of every 4) while 100 records/s flow over the 3 partitions:
    # those of the stalled one wait, and the latency p99 passes 0.5 s. The
    # wedge records themselves do not decode (0.25 % of the records: below
    # every error-rate threshold).
    p = Phase(watch, "stalled partition reader", a.instance,
              ["DashStreamE2ELatencyHigh"])
    stop = threading.Event()
    prod = ctx.producer()

    def traffic():
        n = 0
        next_wedge = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_wedge:
                prod.produce(a.topic, b"3000", key=WEDGE_KEY, partition=0)
                next_wedge = now + 4
            for _ in range(10):
                prod.produce(a.topic, kr.event(f"slow-{n % 30}"),
                             key=f"slow-{n % 30}", partition=n % 3)
                n += 1
            prod.lib.rd_kafka_poll(prod.rk, 0)
            time.sleep(0.1)
    t = threading.Thread(target=traffic, name="A-traffic", daemon=True)
    t.start()
    try:
        p.wait_fired(limit=150)
    finally:
        stop.set()
        t.join()
    prod.flush()
    prod.close()
    p.wait_resolved()
    p.close()

    p = Phase(watch, "daemon stopped", a.instance, ["DashStreamDown"])
    rc = a.stop()
    log(f"daemon A stopped (exit {rc})")
    p.wait_fired(limit=90)
    a.start()
    p.wait_resolved(limit=90)
    p.close()


# ------------------------------------------------------------- track S --

SUPERVISION_LOOP = ["supervision.max_restarts=3", "supervision.within_secs=60",
                    "supervision.backoff_initial_ms=100",
                    "supervision.backoff_max_ms=400",
                    # Above max_restarts: the supervisors give up before the
                    # record is quarantined as poison.
                    "dlq.poison_max_crashes=20"]


def track_supervision(ctx, s):
    p = Phase(ctx.watch, "a record that crashes its reader", s.instance, [
        "DashStreamRestartStorm", "DashStreamSupervisorEscalation",
        "DashStreamProcessRestarts"], allow={
            # Between an exit and the restart that follows it the target
            # does not answer; 4 s of that (1m/FACTOR) would fire it. The
            # restart comes within about a second, so it normally does not.
            "DashStreamDown": "the process is down between exit and restart"})
    prod = ctx.producer()
    prod.produce(s.topic, b"crash", key=CRASH_KEY)
    prod.flush()
    prod.close()
    # Each process: the reader crashes on the record, its supervisor
    # restarts it 3 times and gives up; the root supervisor restarts the
    # pipeline, which crashes again, until it gives up too and the process
    # exits. The test restarts it like a service manager, three times.
    for i in range(3):
        eventually(lambda: not s.child.alive(), 120,
                   f"crash-looping process {i + 1} to exit")
        rc = s.child.proc.returncode
        if rc == 0:
            fail(f"process {i + 1} exited 0 instead of giving up")
        log(f"process {i + 1} gave up (exit {rc}); restarting it")
        if i < 2:
            s.start(settings=SUPERVISION_LOOP)
    # The fixed release (no fault hooks): the record is just undecodable
    # and goes to the DLQ.
    s.start(binary=ctx.plain_bin)
    p.wait_fired(limit=120)
    eventually(lambda: metric(s.port, "dashstream_dlq_records_total") >= 1,
               60, "the fixed release to send the record to the DLQ")
    if not s.child.alive():
        fail("the fixed release exited")
    p.wait_resolved(limit=240)
    p.close()


# ------------------------------------------------------------- track D --

D_SETTINGS = ["dlq.send_timeout_secs=1", "dlq.include_payload=true",
              "dlq.spool_budget_bytes=1MiB",
              # Records keep being fetched behind the stuck one, so the
              # consumer's watermark (and the lag gauge) keeps up with
              # the topic; librdkafka does not refresh it for a paused
              # partition.
              "pipeline.partition_inflight_max=200000",
              "pipeline.partition_inflight_low_water=100000",
              "pipeline.dispatch_window_bytes=0"]
SPOOL_AGE = 600


def dlq_earlier_run(ctx, topic):
    """An earlier run of daemon D (not scraped) that spooled 3 rejected
    records while the DLQ topic refused them; the spool is then aged by
    SPOOL_AGE seconds, as it would be had that run been that long ago."""
    spool = os.path.join(ctx.tmp, "spool-D")
    d0 = Daemon(ctx, "D", ctx.plain_bin, topic, D_SETTINGS)
    d0.name = "D-earlier"
    d0.start()
    d0.wait_assigned()
    prod = ctx.producer()
    for i in range(3):
        prod.produce(topic, b"\x07earlier-junk-%d" % i, key="junk")
    prod.flush()
    prod.close()
    eventually(lambda: metric(d0.port, "dashstream_dlq_spooled_records") >= 3,
               60, "the earlier run to spool 3 DLQ records")
    d0.stop()
    n = kr.age_spool(spool, SPOOL_AGE)
    if n < 3:
        fail(f"aged {n} spooled records, want 3")
    log(f"earlier run of D spooled {n} records; aged them {SPOOL_AGE}s")


def track_dead_letters(ctx, d, p):
    """`p` (opened before D was first scraped): the DLQ topic refuses
    records."""
    dlq_topic = d.topic + "-dlq"
    prod = ctx.producer()
    # The drainer retries the spool every second and Kafka refuses:
    # DashStreamDLQWriteFailures; the spool's oldest record is ten minutes
    # old: DashStreamDLQSpoolBacklogOld.
    p.wait_fired(["DashStreamDLQWriteFailures"], limit=60)
    # Rejected records (200 kB, with payload) fill the 1 MiB spool; the
    # first that does not fit is refused (spool_full:
    # DashStreamDLQWriteFailuresCritical) and its partition cannot commit
    # past it. Their Kafka timestamp is 250 s old, so the oldest unprocessed
    # record is over 120 s old at once (DashStreamPartitionStale) and over
    # 300 s 50 s later (DashStreamPartitionStaleCritical).
    old = int(time.time() * 1000) - 250_000
    for i in range(40):
        prod.produce(d.topic, b"\x07" + os.urandom(200_000), key="junk",
                     timestamp_ms=old)
        prod.flush()
        if metric(d.port, "dashstream_dlq_write_failures_total",
                  reason="spool_full") > 0:
            break
        time.sleep(0.3)
    else:
        fail("the spool never filled")
    log(f"the spool is full after {i + 1} large rejected records")
    p.wait_fired(["DashStreamPartitionStale"], limit=60)
    # Behind the stuck record, 20 000 records (lag > 10 000:
    # DashStreamConsumerLagHigh), then 100 000 more (> 100 000:
    # DashStreamConsumerLagCritical). No header timestamp: they stay out of
    # the latency histogram when they are finally processed.
    values = [kr.event(f"lag-{i}", timestamp_us=0) for i in range(50)]
    for i in range(20_000):
        prod.produce(d.topic, values[i % 50], key=f"lag-{i % 50}")
    prod.flush()
    p.wait_fired(["DashStreamConsumerLagHigh"], limit=90)
    for i in range(100_000):
        prod.produce(d.topic, values[i % 50], key=f"lag-{i % 50}")
    prod.flush()
    prod.close()
    p.wait_fired(limit=120)
    # The fix: the DLQ topic takes records of up to 8 MiB. The spool
    # drains, the refused records are written, the partition moves on.
    broker(ctx.kafka_dir, "java-tool", "kafka.admin.ConfigCommand",
           "--bootstrap-server", ctx.bootstrap, "--alter", "--entity-type",
           "topics", "--entity-name", dlq_topic, "--add-config",
           "max.message.bytes=8388608")
    log(f"{dlq_topic} takes large records again")
    eventually(lambda: metric(d.port, "dashstream_dlq_spooled_records") == 0
               and metric(d.port, "dashstream_consumer_lag_messages") == 0,
               120, "the spool to drain and the lag to clear")
    p.wait_resolved(limit=120)
    p.close()

    # The source topic is deleted under the running daemon: Kafka reports
    # it unknown on every metadata refresh (infrastructure errors, the
    # breaker opens). Tens of errors come within the 20 s window, so the
    # critical tier fires and Alertmanager must suppress the lower two.
    p = Phase(ctx.watch, "source topic deleted", d.instance, [
        "DashStreamInfrastructureErrors",
        "DashStreamInfrastructureErrorsHigh",
        "DashStreamInfrastructureErrorsCritical",
        "DashStreamCircuitBreakerOpen"], inhibited=[
        ("DashStreamInfrastructureErrors",
         "DashStreamInfrastructureErrorsCritical"),
        ("DashStreamInfrastructureErrorsHigh",
         "DashStreamInfrastructureErrorsCritical")])
    broker(ctx.kafka_dir, "delete-topic", d.topic)
    log(f"topic {d.topic} deleted")
    p.wait_fired(limit=150)
    p.check_inhibited()
    ctx.create_topic(d.topic, 1)
    log(f"topic {d.topic} created again")
    p.wait_resolved(limit=150)
    p.close()


# ------------------------------------------------------------- track W --

W_SECRET = "alerts-e2e-secret"


def w_settings(tmp):
    secret = os.path.join(tmp, "hs256-secret")
    with open(secret, "w") as f:
        f.write(W_SECRET)
    return [f"auth.hs256_secret_file={secret}",
            # A small ring: a resume far back reads Kafka (and can find the
            # records gone).
            "replay.ring_bytes=1MiB",
            # A client 50 records behind, or not emptying its queue for
            # 2 s, is disconnected for backpressure.
            "replay.slow_client_threshold=50",
            "replay.slow_client_window_secs=2",
            "http.max_connections_per_ip=100", "http.send_timeout_secs=2"]


def token(secret=W_SECRET):
    return jwt.encode({"tenant_id": "tenant-0",
                       "exp": int(time.time()) + 3600}, secret,
                      algorithm="HS256")


async def ws_resume(url, after):
    """Resumes partition 0 after `after`; the control messages received."""
    got = []
    async with websockets.connect(
            url, extra_headers={"Authorization": "Bearer " + token()},
            max_size=None) as ws:
        await ws.send(json.dumps({"type": "resume",
                                  "lastOffsetsByPartition": {"0": str(after)}}))
        while True:
            msg = await asyncio.wait_for(ws.recv(), 60)
            if isinstance(msg, bytes):
                continue
            j = json.loads(msg)
            if j["type"] != "cursor":
                got.append(j)
            if j["type"] == "replay_complete":
                return got


async def ws_bad_tokens(url, n):
    refused = 0
    bad = token("not-the-secret")
    for _ in range(n):
        try:
            async with websockets.connect(
                    url, extra_headers={"Authorization": "Bearer " + bad}):
                pass
        except websockets.InvalidStatusCode as e:
            refused += e.status_code == 401
    return refused


async def ws_stalled_clients(url, port, n, after, wait):
    """n clients with a 4 KiB receive buffer that resume and never read."""
    conns = []
    try:
        for _ in range(n):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            ws = await websockets.connect(
                url, sock=sock,
                extra_headers={"Authorization": "Bearer " + token()},
                max_size=None, max_queue=1, read_limit=4096,
                ping_interval=None)
            await ws.send(json.dumps({
                "type": "resume", "lastOffsetsByPartition": {"0": str(after)}}))
            conns.append(ws)
        await asyncio.get_running_loop().run_in_executor(None, wait)
    finally:
        for ws in conns:
            ws.transport.abort()


async def ws_crash_session(url):
    async with websockets.connect(
            url, extra_headers={"Authorization": "Bearer " + token()}) as ws:
        await ws.send(CRASH_SESSION)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 30)
        except websockets.ConnectionClosed as e:
            return e.code


def clients_backlog(ctx, topic):
    """Before W starts: 600 records of 10 kB (more than W's 1 MiB ring
    keeps), of which Kafka then drops offsets below 100 (DeleteRecords, as
    retention would)."""
    prod = ctx.producer()
    pad = "x" * 10_000
    for _ in range(600):
        prod.produce(topic, kr.event("bulk", timestamp_us=0, node_id=pad),
                     key="bulk")
    prod.flush()
    prod.close()
    broker(ctx.kafka_dir, "delete-records", topic, "0", "100")


def track_clients(ctx, w, stale):
    """`stale` (opened before W was first scraped): a client resumes after
    offset 10, which Kafka no longer has."""
    watch = ctx.watch
    url = f"ws://127.0.0.1:{w.port}/ws"
    prod = ctx.producer()
    eventually(lambda: metric(w.port, "dashstream_records_total") >= 500, 120,
               "W to process the 500 records Kafka keeps")
    got = asyncio.run(ws_resume(url, 10))
    if not any(j["type"] == "cursor_stale" for j in got):
        fail(f"a resume after offset 10 got no cursor_stale: {got}")
    stale.wait_fired(limit=60)

    # Producers gone wrong: every second 2 quality messages scoring 0.3,
    # not passed (mean < 0.6, > 50 % failed), and 1 event of 5 stamped
    # 5 minutes ahead (clock skew: 20 % of the records). The others carry
    # no header timestamp: W's latency histogram stays empty, whatever the
    # load of the machine (DashStreamE2ELatencyHigh is A's alone).
    producers = Phase(watch, "bad producers", w.instance, [
        "DashStreamQualityScoreLow", "DashStreamQualityFailureRate",
        "DashStreamClockSkew"])
    stop = threading.Event()

    def bad_producers():
        n = 0
        while not stop.is_set():
            for _ in range(2):
                prod.produce(w.topic, kr.quality(f"q-{n % 7}", 0.3, False,
                                                 timestamp_us=0),
                             key=f"q-{n % 7}")
            prod.produce(w.topic, kr.event(
                f"skew-{n % 5}", timestamp_us=kr.now_us() + 300_000_000),
                key=f"skew-{n % 5}")
            for _ in range(2):
                prod.produce(w.topic, kr.event(f"ok-{n % 5}", timestamp_us=0),
                             key=f"ok-{n % 5}")
            n += 1
            prod.lib.rd_kafka_poll(prod.rk, 0)
            time.sleep(1)
    t = threading.Thread(target=bad_producers, name="W-producers",
                         daemon=True)
    t.start()

    auth = Phase(watch, "bad tokens", w.instance,
                 ["DashStreamWebSocketAuthRejections"])
    refused = asyncio.run(ws_bad_tokens(url, 25))
    if refused != 25:
        fail(f"{refused} of 25 bad tokens refused with 401")
    auth.wait_fired(limit=60)

    # 7 clients resume 500 records of 10 kB and read nothing: each is
    # disconnected for backpressure (more than 5 in the window:
    # DashStreamWebSocketSlowClients). Then a session crashes (the session
    # hook; DashStreamWebSocketSessionFailures): same signal, higher
    # severity, so Alertmanager suppresses the slow-client alert.
    clients = Phase(watch, "clients", w.instance, [
        "DashStreamWebSocketSlowClients",
        "DashStreamWebSocketSessionFailures"], inhibited=[
        ("DashStreamWebSocketSlowClients",
         "DashStreamWebSocketSessionFailures")])
    asyncio.run(ws_stalled_clients(url, w.port, 7, 99, lambda: eventually(
        lambda: metric(w.port,
                       "dashstream_websocket_slow_client_disconnects_total")
        >= 7, 60, "7 slow-client disconnects")))
    clients.wait_fired(["DashStreamWebSocketSlowClients"], limit=60)
    code = asyncio.run(ws_crash_session(url))
    if code != 1011:
        fail(f"the crashed session closed with {code}, want 1011")
    clients.wait_fired(limit=60)

    try:
        producers.wait_fired(limit=200)
    finally:
        stop.set()
        t.join()
    prod.flush()
    prod.close()

    for p in (auth, clients, producers, stale):
        p.wait_resolved(limit=330)
        p.close()


# ----------------------------------------------------------------- main --

def run_track(name, fn, errors, *args):
    def body():
        try:
            fn(*args)
            log("track done")
        except BaseException as e:  # noqa: BLE001 (SystemExit from monlib)
            errors.append((name, e))
            log(f"FAILED: {e}")
            if not isinstance(e, (TestFailure, SystemExit)):
                traceback.print_exc()
    t = threading.Thread(target=body, name=name, daemon=True)
    t.start()
    return t


def coverage_check():
    """Every rule is expected by some phase or listed in NOT_LIVE."""
    rules = {r["alert"] for r in monlib.alert_rules()}
    src = monlib.read("tests/monitoring/alerts_e2e.py")
    missing = sorted(r for r in rules - set(NOT_LIVE) if f'"{r}"' not in src)
    if missing:
        fail("alert rules no phase of this test makes fire (add a fault, or "
             f"say in NOT_LIVE why there is none): {', '.join(missing)}")
    return rules


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    faults_bin, plain_bin = sys.argv[1], sys.argv[2]
    try:
        rules = coverage_check()
    except TestFailure as e:
        log(f"FAIL: {e}")
        sys.exit(1)
    t_start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ds-alerts-e2e-")
    ctx = Context(faults_bin, plain_bin, tmp)
    hook = None
    watch = None
    ok = False
    servers = []
    try:
        prom_port, am_port, hook_port = monlib.free_ports(3)
        hook = Webhook(hook_port)
        targets = os.path.join(tmp, "targets.json")
        write_targets(targets, [])

        # The broker starts while Prometheus and Alertmanager do.
        started = {}

        def start_broker():
            try:
                started["bootstrap"] = broker(ctx.kafka_dir,
                                              "start").splitlines()[-1]
            except BaseException as e:  # noqa: BLE001
                started["error"] = e
        bt = threading.Thread(target=start_broker, name="broker")
        bt.start()

        errors = []
        prom_cfg, am_cfg = derived_configs(tmp, targets, am_port, hook_port)
        watch = Watch(prom_port, am_port, hook)
        ctx.watch = watch
        absent = Phase(watch, "no scrape target", "", ["DashStreamAbsent"])
        for name, argv in (
                ("alertmanager", [
                    "prometheus-alertmanager", f"--config.file={am_cfg}",
                    f"--storage.path={tmp}/am-data",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=", "--log.level=warn"]),
                ("prometheus", [
                    "prometheus", f"--config.file={prom_cfg}",
                    f"--storage.tsdb.path={tmp}/prom-data",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--rules.alert.resend-delay=1s", "--log.level=warn"])):
            servers.append(Child(name, argv, tmp))
        for c, port in zip(servers, (am_port, prom_port)):
            eventually(lambda: http_get(
                f"http://127.0.0.1:{port}/-/ready")[0] == 200
                or (c.alive() or fail(f"{c.name} exited:\n{c.tail()}"))
                and False, 60, f"{c.name} to be ready")
        log(f"Prometheus :{prom_port}, Alertmanager :{am_port}, webhook "
            f":{hook_port}")

        bt.join()
        if "error" in started:
            raise started["error"]
        ctx.bootstrap = started["bootstrap"]
        log(f"private Kafka at {ctx.bootstrap}")
        for name, parts in (("e2e-records", 3), ("e2e-supervision", 1),
                            ("e2e-dead-letters", 1), ("e2e-clients", 1)):
            ctx.create_topic(name, parts)
        # The daemon finds the DLQ topic and does not create it: records
        # over 100 bytes are refused (MESSAGE_TOO_LARGE).
        ctx.create_topic("e2e-dead-letters-dlq", 1, "max.message.bytes=100")
        backlog = run_track("W-backlog", clients_backlog, errors, ctx,
                            "e2e-clients")
        dlq_earlier_run(ctx, "e2e-dead-letters")
        backlog.join()
        if errors:
            fail(f"{errors[0][0]}: {errors[0][1]}")

        a = Daemon(ctx, "A", faults_bin, "e2e-records", []).start()
        s = Daemon(ctx, "S", faults_bin, "e2e-supervision",
                   []).start(settings=SUPERVISION_LOOP)
        d = Daemon(ctx, "D", plain_bin, "e2e-dead-letters",
                   D_SETTINGS).start()
        w = Daemon(ctx, "W", faults_bin, "e2e-clients",
                   w_settings(tmp)).start()
        daemons = [a, s, d, w]
        for x in daemons:
            x.wait_assigned()
        # D's and W's faults start before their first scrape: their phases
        # are open already.
        w_stale = Phase(watch, "resume past Kafka's retention", w.instance,
                        ["DashStreamWebSocketReplayStale"])
        d_phase = Phase(watch, "DLQ topic refuses records", d.instance, [
            "DashStreamDLQWriteFailures", "DashStreamDLQWriteFailuresCritical",
            "DashStreamDLQSpoolBacklogOld", "DashStreamPartitionStale",
            "DashStreamPartitionStaleCritical", "DashStreamConsumerLagHigh",
            "DashStreamConsumerLagCritical"], inhibited=[
            ("DashStreamDLQWriteFailures",
             "DashStreamDLQWriteFailuresCritical"),
            ("DashStreamPartitionStale", "DashStreamPartitionStaleCritical"),
            ("DashStreamConsumerLagHigh", "DashStreamConsumerLagCritical")])

        absent.wait_fired(limit=90)
        write_targets(targets, [x.port for x in daemons])
        log("Prometheus scrapes " + ", ".join(
            f"{x.name} ({x.instance})" for x in daemons))
        absent.wait_resolved(limit=60)
        absent.close()
        eventually(lambda: len(prom_query(
            prom_port, 'up{job="dashstream"} == 1')) == 4, 60,
            "Prometheus to scrape the four daemons")

        tracks = [run_track("A", track_records, errors, ctx, a),
                  run_track("S", track_supervision, errors, ctx, s),
                  run_track("D", track_dead_letters, errors, ctx, d, d_phase),
                  run_track("W", track_clients, errors, ctx, w, w_stale)]
        for t in tracks:
            while t.is_alive():
                t.join(1)
                if errors:
                    break
            if errors:
                break
        if errors:
            name, e = errors[0]
            fail(f"track {name}: {e}")
        time.sleep(3)
        with watch.lock:
            still = sorted(watch.firing_now)
            violations = list(watch.violations)
        if violations:
            fail("alerts fired that no phase expects: " +
                 "; ".join(violations))
        if still:
            fail(f"still firing at the end: {still}")
        log("every alert, where it fired and how it reached Alertmanager:")
        for r in sorted(rules):
            if r in NOT_LIVE:
                log(f"  {r}: not fired live ({NOT_LIVE[r][:60]}...)")
                continue
            how = watch.history.get(r)
            if not how:
                fail(f"{r} was never proven live")
            log(f"  {r}: " + "; ".join(f"{ph} ({h})" for ph, h in
                                       sorted(how)) + ", resolved")
        log(f"OK: {len(rules) - len(NOT_LIVE)} of {len(rules)} alerts fired "
            f"live and resolved; nothing else fired "
            f"({time.monotonic() - t_start:.0f}s)")
        ok = True
    except TestFailure as e:
        log(f"FAIL: {e}")
    finally:
        if watch:
            watch.stop()
        for c in reversed(ctx.children + servers):
            c.stop()
        subprocess.run([BROKER_SH, "stop", ctx.kafka_dir],
                       capture_output=True)
        if hook:
            hook.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"logs kept in {tmp}")
    sys.exit(0 if ok else 1)


def prom_query(port, q):
    status, body = http_get(f"http://127.0.0.1:{port}/api/v1/query?query="
                            + urllib.parse.quote(q))
    return json.loads(body)["data"]["result"] if status == 200 else []


if __name__ == "__main__":
    main()
