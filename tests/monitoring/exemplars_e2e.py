#!/usr/bin/env python3
"""Exemplars end to end: the daemon (embedded broker with its demo traffic; only records whose
traceparent says sampled are traced: parentbased_always_off)
exports the trace ids of traced records on its e2e latency histogram when
scraped in the OpenMetrics format, and a real Prometheus with exemplar
storage on stores them: its exemplar query API returns trace ids that are
the producer's traces (the daemon continues each record's traceparent).

No collector runs: tracing.endpoint points at a closed port, so every span
is dropped and counted, and exemplars still carry the trace ids.

usage: exemplars_e2e.py path/to/dashstream
"""
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import monlib  # noqa: E402
from monlib import Child, eventually, fail, http_get, log  # noqa: E402

TOPIC = "dashstream-quality"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
OPENMETRICS = ("application/openmetrics-text;version=1.0.0,"
               "text/plain;version=0.0.4;q=0.5")


def scrape(port, accept):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.headers.get("Content-Type", ""), r.read().decode()


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ds-exemplars-e2e-")
    children = {}
    ok = False
    try:
        prom_port, closed_port = monlib.free_ports(2)
        children["daemon"], dport = monlib.start_daemon(binary, [
            "kafka.brokers=", f"kafka.topic={TOPIC}",
            f"tracing.endpoint=http://127.0.0.1:{closed_port}",
            "tracing.sampler=parentbased_always_off",
            "tracing.export_timeout_ms=200"],
            tmp)
        m = re.search(r'"brokers":"([^"]+)"', children["daemon"].log_text())
        if not m:
            fail("the daemon did not log its embedded broker")
        brokers = m.group(1)

        prom_cfg = os.path.join(tmp, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: dashstream
    static_configs:
      - targets: ['127.0.0.1:{dport}']
""")
        children["prometheus"] = Child("prometheus", [
            "prometheus", f"--config.file={prom_cfg}",
            f"--storage.tsdb.path={tmp}/prom-data",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--enable-feature=exemplar-storage", "--log.level=warn"], tmp)
        eventually(lambda: http_get(
            f"http://127.0.0.1:{prom_port}/-/ready")[0] == 200, 60,
            "Prometheus to be ready")

        # Every record carries the same producer trace: its exemplars must
        # name it.
        produce = Child("produce", [
            binary, "produce", "--brokers", brokers, "--topic", TOPIC,
            "--count", "300", "--rate", "50", "--threads", "8",
            "--traceparent", TRACEPARENT], tmp)
        children["produce"] = produce
        eventually(lambda: not produce.alive(), 60, "produce to finish")
        if produce.proc.returncode != 0:
            fail(f"produce failed:\n{produce.tail()}")

        # The daemon's OpenMetrics scrape carries exemplars ...
        ctype, text = scrape(dport, OPENMETRICS)
        if not ctype.startswith("application/openmetrics-text"):
            fail(f"OpenMetrics not negotiated: Content-Type {ctype}")
        if not text.endswith("# EOF\n"):
            fail("OpenMetrics body does not end with # EOF")
        lines = [ln for ln in text.splitlines()
                 if ln.startswith("dashstream_e2e_latency_seconds_bucket")
                 and f'trace_id="{TRACE_ID}"' in ln]
        if not lines:
            fail("no exemplar on dashstream_e2e_latency_seconds buckets:\n"
                 + "\n".join(ln for ln in text.splitlines()
                             if "e2e_latency" in ln))
        log(f"{len(lines)} buckets carry exemplars, e.g. {lines[0]}")
        # ... and the classic format does not (it has no syntax for them).
        ctype, plain = scrape(dport, "text/plain")
        if " # {" in plain or not ctype.startswith("text/plain"):
            fail("the text format must stay exemplar-free")

        # Prometheus scraped them (it asks for OpenMetrics) and stores them.
        def exemplars():
            now = time.time()
            q = urllib.parse.urlencode({
                "query": "dashstream_e2e_latency_seconds_bucket",
                "start": now - 600, "end": now + 60})
            code, body = http_get(
                f"http://127.0.0.1:{prom_port}/api/v1/query_exemplars?{q}")
            if code != 200:
                return None
            found = []
            for series in json.loads(body)["data"]:
                for ex in series["exemplars"]:
                    found.append(ex["labels"].get("trace_id"))
            return found
        found = eventually(exemplars, 60, "Prometheus to store exemplars")
        if TRACE_ID not in found:
            fail(f"exemplar trace ids {found} lack the producer's {TRACE_ID}")
        log(f"Prometheus holds {len(found)} exemplars with trace {TRACE_ID}")

        # No collector: spans were dropped and counted, records all done.
        fams = monlib.parse_exposition(scrape(dport, "text/plain")[1])
        dropped = monlib.value(fams, "dashstream_trace_spans_dropped_total",
                               reason="export_failed")
        if not dropped or dropped <= 0:
            fail("spans to a closed port must be counted as dropped")
        ok = True
        log("PASS")
    finally:
        monlib.stop_all(children.values(), tmp, ok)


if __name__ == "__main__":
    main()
