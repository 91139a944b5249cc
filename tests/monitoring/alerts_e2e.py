#!/usr/bin/env python3
"""End to end: real faults -> the daemon's /metrics -> real Prometheus
evaluating our rules -> real Alertmanager with our routing -> a webhook.

Everything runs on 127.0.0.1 with free ports and temporary directories:
a private Apache Kafka broker (scripts/kafka-broker.sh, so the test can
stop and restart it), `dashstream run`, Prometheus, Alertmanager and a
webhook receiver inside this script. The phases:

1. `dashstream produce` sends records with injected sequence gaps,
   duplicates, reorders and corrupt records: the sequence, decode-error
   and processing-error alerts reach the webhook firing.
2. The broker is stopped: the circuit-breaker and infrastructure-error
   alerts fire, Alertmanager inhibits the lower infrastructure tiers while
   a higher tier fires, and the phase-1 alerts resolve.
3. The broker is started again on the same port: those alerts resolve.
4. The daemon is stopped (DashStreamDown fires) and started again on the
   same HTTP port (it resolves).

The rules are the shipped monitoring/alert_rules.yml with every duration
divided by FACTOR (scripts/monitoring/scale_rules.py; static_checks.py
proves nothing else differs), scraped and evaluated every second; the
Alertmanager config is the shipped one with the webhook URL pointed here
and its group timers shortened. Deadlines are generous; nothing asserts
on how fast anything happens.

    alerts_e2e.py DASHSTREAM_BIN
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts", "monitoring"))
import monlib  # noqa: E402
import scale_rules  # noqa: E402
from monlib import REPO, Child, eventually, fail, http_get, log  # noqa: E402

FACTOR = 15  # 5m windows -> 20 s, for: 1m -> 4 s
TOPIC = "monitoring-e2e"
BROKER_SH = os.path.join(REPO, "scripts", "kafka-broker.sh")

PHASE1 = ["DashStreamSequenceGaps", "DashStreamSequenceDuplicateRate",
          "DashStreamSequenceReorderRate", "DashStreamDecodeErrorRate",
          "DashStreamProcessingErrorRate"]
INFRA = ["DashStreamInfrastructureErrors",
         "DashStreamInfrastructureErrorsHigh",
         "DashStreamInfrastructureErrorsCritical"]


class Webhook:
    """Alertmanager's webhook receiver: keeps every alert it is sent."""

    def __init__(self, port):
        self.events = []  # (alertname, status, labels)
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                msg = json.loads(body)
                with hook.lock:
                    for a in msg.get("alerts", []):
                        name = a["labels"].get("alertname")
                        hook.events.append((name, a["status"], a["labels"]))
                        log(f"webhook: {name} {a['status']} "
                            f"(receiver {msg.get('receiver')})")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                      Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def index(self, name, status):
        """Position of the first `status` event of `name`, or -1."""
        with self.lock:
            for i, (n, s, _) in enumerate(self.events):
                if n == name and s == status:
                    return i
        return -1

    def fired(self, name):
        return self.index(name, "firing") >= 0

    def resolved(self, name):
        """Fired, and a resolved notification came after the last firing."""
        with self.lock:
            last_firing = max((i for i, (n, s, _) in enumerate(self.events)
                               if n == name and s == "firing"), default=-1)
            return last_firing >= 0 and any(
                n == name and s == "resolved"
                for n, s, _ in self.events[last_firing + 1:])

    def stop(self):
        self.server.shutdown()


def broker(cmd, *args):
    r = subprocess.run([BROKER_SH, cmd, *args], capture_output=True,
                       text=True, timeout=180)
    if r.returncode != 0:
        fail(f"kafka-broker.sh {cmd} failed:\n{r.stderr[-3000:]}")
    return r.stdout.strip()


def derived_configs(tmp, daemon_port, am_port, hook_port):
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
    job["static_configs"] = [{"targets": [f"127.0.0.1:{daemon_port}"]}]
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


def prom_query(port, q):
    status, body = http_get(f"http://127.0.0.1:{port}/api/v1/query?query="
                            + urllib.parse.quote(q))
    if status != 200:
        return []
    return json.loads(body)["data"]["result"]


def am_alerts(port):
    status, body = http_get(f"http://127.0.0.1:{port}/api/v2/alerts")
    return json.loads(body) if status == 200 else []


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    binary = sys.argv[1]
    t_start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ds-alerts-e2e-")
    kafka_dir = os.path.join(tmp, "kafka")
    children = {}
    hook = None
    ok = False
    try:
        prom_port, am_port, hook_port = monlib.free_ports(3)
        hook = Webhook(hook_port)

        bootstrap = broker("start", kafka_dir).splitlines()[-1]
        broker("create-topic", kafka_dir, TOPIC, "3")
        log(f"private Kafka at {bootstrap}, topic {TOPIC}")

        daemon_settings = [f"kafka.brokers={bootstrap}",
                           f"kafka.topic={TOPIC}",
                           f"kafka.group_id=e2e-{os.getpid()}"]
        children["daemon"], dport = monlib.start_daemon(
            binary, daemon_settings, tmp)

        prom_cfg, am_cfg = derived_configs(tmp, dport, am_port, hook_port)
        children["alertmanager"] = Child("alertmanager", [
            "prometheus-alertmanager", f"--config.file={am_cfg}",
            f"--storage.path={tmp}/am-data",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=", "--log.level=warn"], tmp)
        children["prometheus"] = Child("prometheus", [
            "prometheus", f"--config.file={prom_cfg}",
            f"--storage.tsdb.path={tmp}/prom-data",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--rules.alert.resend-delay=1s", "--log.level=warn"], tmp)
        for name, port in (("alertmanager", am_port),
                           ("prometheus", prom_port)):
            eventually(lambda: http_get(
                f"http://127.0.0.1:{port}/-/ready")[0] == 200
                or (children[name].alive() or fail(
                    f"{name} exited:\n{children[name].tail()}")) and False,
                60, f"{name} to be ready")
        eventually(lambda: any(r["value"][1] == "1" for r in prom_query(
            prom_port, 'up{job="dashstream"}')), 60,
            "Prometheus to scrape the daemon")
        log(f"Prometheus :{prom_port}, Alertmanager :{am_port}, "
            f"webhook :{hook_port}")

        # ---- phase 1: sequence faults and corrupt records
        t1 = time.monotonic()
        produce = Child("produce", [
            binary, "produce", "--brokers", bootstrap, "--topic", TOPIC,
            "--count", "4000", "--rate", "100", "--threads", "40",
            "--inject-gaps", "3%", "--inject-duplicates", "3%",
            "--inject-reorders", "3%", "--inject-corrupt", "all:2%"], tmp)
        children["produce"] = produce
        for name in PHASE1:
            eventually(lambda: hook.fired(name), 150, f"{name} to fire")
        eventually(lambda: not produce.alive(), 120, "produce to finish")
        if produce.proc.returncode != 0:
            fail(f"produce failed:\n{produce.tail()}")
        log(f"phase 1: all fired after {time.monotonic() - t1:.0f}s")

        # ---- phase 2: broker outage
        t2 = time.monotonic()
        inhibited = threading.Event()
        watching = threading.Event()
        watching.set()

        def watch_inhibition():
            while watching.is_set() and not inhibited.is_set():
                for a in am_alerts(am_port):
                    if (a["labels"].get("alertname") == INFRA[0]
                            and a["status"]["state"] == "suppressed"
                            and a["status"]["inhibitedBy"]):
                        inhibited.set()
                time.sleep(0.2)
        threading.Thread(target=watch_inhibition, daemon=True).start()
        broker("stop", kafka_dir)
        log("broker stopped")
        eventually(lambda: hook.fired("DashStreamCircuitBreakerOpen"), 120,
                   "DashStreamCircuitBreakerOpen to fire")
        eventually(lambda: any(hook.fired(n) for n in INFRA), 120,
                   "an infrastructure-error alert to fire")
        for name in PHASE1:
            eventually(lambda: hook.resolved(name), 150, f"{name} to resolve")
        log(f"phase 2: outage alerts fired, phase-1 alerts resolved after "
            f"{time.monotonic() - t2:.0f}s")

        # While a higher infrastructure tier was active, the medium tier
        # (same signal and instance) was inhibited in Alertmanager.
        higher = [n for n in INFRA[1:] if hook.fired(n)]
        if higher:
            eventually(lambda: inhibited.is_set(), 60,
                       "Alertmanager to show the medium infrastructure tier "
                       f"inhibited under {higher}")
            log(f"medium infrastructure tier was inhibited under {higher}")

        watching.clear()

        # ---- phase 3: the broker returns
        t3 = time.monotonic()
        broker("start", kafka_dir)
        log("broker started again")
        eventually(lambda: hook.resolved("DashStreamCircuitBreakerOpen"),
                   180, "DashStreamCircuitBreakerOpen to resolve")
        # A tier may reach the webhook late (after the higher tier that
        # inhibited it resolved): every tier that ever fired must resolve.
        eventually(lambda: all(hook.resolved(n) for n in INFRA
                               if hook.fired(n)), 180,
                   "every infrastructure-error alert that fired to resolve")
        fired_infra = [n for n in INFRA if hook.fired(n)]
        log(f"phase 3: {', '.join(fired_infra)} and the breaker alert "
            f"resolved after {time.monotonic() - t3:.0f}s")

        # ---- phase 4: the daemon goes away and comes back
        t4 = time.monotonic()
        rc = children.pop("daemon").stop()
        log(f"daemon stopped (exit {rc})")
        eventually(lambda: hook.fired("DashStreamDown"), 90,
                   "DashStreamDown to fire")
        children["daemon"], _ = monlib.start_daemon(
            binary, daemon_settings + [f"http.port={dport}"], tmp,
            name="dashstream-again")
        eventually(lambda: hook.resolved("DashStreamDown"), 90,
                   "DashStreamDown to resolve")
        log(f"phase 4: DashStreamDown fired and resolved after "
            f"{time.monotonic() - t4:.0f}s")

        # Nothing is left firing: every alert that reached the webhook
        # also reached it resolved.
        eventually(lambda: all(hook.resolved(n)
                               for n in {e[0] for e in hook.events}), 120,
                   "every alert that fired to be resolved")
        unexpected = sorted({n for n, s, _ in hook.events} -
                            set(PHASE1 + INFRA + [
                                "DashStreamCircuitBreakerOpen",
                                "DashStreamDown"]))
        if unexpected:
            log(f"note: other alerts also fired: {', '.join(unexpected)}")
        log(f"OK: every injected fault alerted and resolved "
            f"({time.monotonic() - t_start:.0f}s)")
        ok = True
    finally:
        for c in reversed(list(children.values())):
            c.stop()
        subprocess.run([BROKER_SH, "stop", kafka_dir], capture_output=True)
        if hook:
            hook.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"logs kept in {tmp}")


if __name__ == "__main__":
    main()
