#!/usr/bin/env python3
"""The drift guard: names in our monitoring files against real exports.

Starts `dashstream kafka-mock` and `dashstream run` on it, and first
scrapes the fresh daemon, before any traffic:

0. every dashstream_* family the alert rules reference is in that scrape
   (an alert on increase() or `unless ... offset` needs the series before
   the first event), except the few in FRESH_EXEMPT.

Then it sends a workload with every fault the producer can inject (gaps,
duplicates, reorders, each kind of corrupt record), then one record that
crashes a partition reader through a test fault hook (the binary given is
`dashstream-faults`) until its supervisor escalates, so that the restart and escalation
families have moved too. Then:

1. every dashstream_* name in the alert rules and the Grafana dashboards
   is a family of that /metrics scrape;
2. every dashstream_* name in docs/alerts.md, docs/runbook.md,
   docs/metrics.md and monitoring/README.md is exported by the daemon or
   by the producer (`dashstream produce --metrics-file`);
3. docs/metrics.md lists exactly the exported families, with their type
   and label names: section "Daemon" against the daemon's scrape, section
   "Producer" against the producer's export.

    drift_guard.py DASHSTREAM_BIN [KCAT]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import monlib  # noqa: E402
from monlib import Child, eventually, fail, http_get, log  # noqa: E402

CRASH_KEY = "ds-test-hook-crash-reader"  # tests/support/fault_hooks.hpp
TOPIC = "dashstream-quality"

# Families the alert rules may reference although a fresh daemon has no
# series of them yet, each with the reason.
FRESH_EXEMPT = {
    # One series per assigned partition: none before the group assigns one.
    "dashstream_consumer_lag_messages": "needs a partition assignment",
    "dashstream_consumer_lag_seconds": "needs a partition assignment",
    # One series per model (and category) seen: none before the first
    # quality message. The quality alerts are ratios of rate()s, which
    # need no zero before the first event.
    "dashstream_quality_score": "needs a quality message",
    "dashstream_quality_queries_total": "needs a quality message",
}


def check_fresh(fams):
    """Phase 0: the rules' families in a scrape taken before any traffic."""
    missing = set()
    for t in monlib.metric_tokens(monlib.read(monlib.STRICT_FILES[0])):
        # A histogram's _sum/_count maps to its family, exempt ones too.
        name = monlib.family_of(t, set(fams) | set(FRESH_EXEMPT))
        if name not in fams and name not in FRESH_EXEMPT:
            missing.add(name)
    return sorted(missing)


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    binary = sys.argv[1]
    kcat = sys.argv[2] if len(sys.argv) > 2 else "kcat"
    tmp = tempfile.mkdtemp(prefix="ds-drift-")
    children = []
    ok = False
    try:
        mock = Child("kafka-mock", [binary, "kafka-mock", "--partitions",
                                    "3", "--topic", TOPIC], tmp,
                     stdout_pipe=True)
        children.append(mock)
        brokers = mock.proc.stdout.readline().decode().strip()
        if not brokers:
            fail(f"kafka-mock printed no address:\n{mock.tail()}")
        log(f"mock broker at {brokers}")

        # One restart is allowed, the second crash escalates; the 4 s
        # backoff keeps the daemon alive (root restart pending) long
        # enough to scrape the escalation.
        # Tracing on (its families exist only then), to a closed port:
        # spans are dropped and counted, which is what the docs describe.
        closed_port = monlib.free_ports(1)[0]
        daemon, port = monlib.start_daemon(binary, [
            f"kafka.brokers={brokers}", f"kafka.topic={TOPIC}",
            f"kafka.group_id=drift-guard-{os.getpid()}",
            f"tracing.endpoint=http://127.0.0.1:{closed_port}",
            "supervision.max_restarts=1",
            "supervision.backoff_initial_ms=4000",
            "supervision.backoff_max_ms=4000"], tmp)
        children.append(daemon)
        metrics_url = f"http://127.0.0.1:{port}/metrics"

        status, fresh_body = http_get(metrics_url)
        if status != 200:
            fail(f"/metrics answered {status}: {fresh_body[:200]}")
        with open(os.path.join(tmp, "daemon-fresh.prom"), "w") as f:
            f.write(fresh_body)
        missing = check_fresh(monlib.exported_families(fresh_body))
        if missing:
            fail(f"{monlib.STRICT_FILES[0]} references families a fresh "
                 "daemon does not export yet (create their series at 0 in "
                 "the probe, or add them to FRESH_EXEMPT with the reason): "
                 f"{', '.join(missing)}; scrape kept in {tmp}")
        log("OK: a fresh daemon exports every family the alert rules use "
            f"(exempt: {', '.join(sorted(FRESH_EXEMPT))})")

        producer_prom = os.path.join(tmp, "producer.prom")
        count = 3000
        r = subprocess.run(
            [binary, "produce", "--brokers", brokers, "--topic", TOPIC,
             "--count", str(count), "--rate", "0", "--threads", "50",
             "--inject-gaps", "30", "--inject-duplicates", "30",
             "--inject-reorders", "30", "--inject-corrupt", "all:5",
             # A limit it reaches (about 1.5 s): both rate-limit families.
             "--tenant-rate", "2000", "--tenant-burst", "100",
             "--metrics-file", producer_prom],
            capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"produce failed ({r.returncode}):\n{r.stderr}")
        log("produced: " + r.stdout.strip().splitlines()[-1]
            if r.stdout.strip() else "produced")

        def scrape():
            status, body = http_get(metrics_url)
            if status != 200:
                fail(f"/metrics answered {status}: {body[:200]}")
            return monlib.exported_families(body), body

        def processed():
            fams, body = scrape()
            done = monlib.value(fams, "dashstream_records_total")
            return (fams, body) if done >= count else None
        before, before_body = eventually(
            processed, 90, f"the daemon to process {count} records")

        subprocess.run([kcat, "-P", "-b", brokers, "-t", TOPIC, "-K", ":"],
                       input=f"{CRASH_KEY}:crash\n", text=True, check=True,
                       timeout=30)

        def escalated():
            if not daemon.alive():
                fail("the daemon exited before its escalation was scraped "
                     f"(is it dashstream-faults?):\n{daemon.tail()}")
            fams, body = scrape()
            # Exported at 0 from the start: wait for the increment.
            if monlib.value(fams, "dashstream_supervisor_escalations_total"):
                return fams, body
            return None
        after, after_body = eventually(
            escalated, 60, "the partition reader crash loop to escalate "
            "(test hook; needs dashstream-faults)", step=0.1)
        for name, text in (("daemon-before-crash.prom", before_body),
                           ("daemon-after-crash.prom", after_body)):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        # The escalation stopped the pipeline (per-partition lag series go
        # with it): what the daemon exports is the union of both scrapes.
        daemon_fams = dict(before)
        for name, fam in after.items():
            if name in daemon_fams:
                daemon_fams[name] = dict(daemon_fams[name])
                daemon_fams[name]["labels"] = (daemon_fams[name]["labels"] |
                                               fam["labels"])
            else:
                daemon_fams[name] = fam
        with open(producer_prom, encoding="utf-8") as f:
            producer_fams = monlib.exported_families(f.read())
        log(f"daemon exports {len(daemon_fams)} families, producer "
            f"{len(producer_fams)}")

        problems = check(daemon_fams, producer_fams)
        if problems:
            for p in problems:
                log("  " + p)
            fail(f"{len(problems)} drift problem(s); scrapes kept in {tmp}")
        log("OK: rules, dashboards and docs match the real exports")
        ok = True
    finally:
        for c in reversed(children):
            c.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


def check(daemon_fams, producer_fams):
    problems = []
    daemon_names = set(daemon_fams)
    both = daemon_names | set(producer_fams)
    for f, tokens in sorted(monlib.referenced_names().items()):
        strict = f in monlib.STRICT_FILES or f.endswith(".json")
        known = daemon_names if strict else both
        for t in sorted(tokens):
            if monlib.family_of(t, known) not in known:
                where = "the daemon's /metrics" if strict else \
                    "the daemon's or the producer's export"
                problems.append(f"{f}: {t} is not in {where}")

    tables = monlib.metrics_doc_tables()
    for section, fams in (("Daemon", daemon_fams),
                          ("Producer", producer_fams)):
        doc = tables.get(section)
        if doc is None:
            problems.append(f"docs/metrics.md: no '## {section}' table")
            continue
        for name in sorted(set(fams) - set(doc)):
            problems.append(f"docs/metrics.md ({section}): {name} "
                            f"({fams[name]['type']}, labels "
                            f"{sorted(fams[name]['labels'])}) is exported "
                            "but not documented")
        for name in sorted(set(doc) - set(fams)):
            problems.append(f"docs/metrics.md ({section}): {name} is "
                            "documented but not exported")
        for name in sorted(set(doc) & set(fams)):
            typ, labels = doc[name]
            if typ != fams[name]["type"]:
                problems.append(f"docs/metrics.md ({section}): {name} is "
                                f"documented as {typ}, exported as "
                                f"{fams[name]['type']}")
            if labels != fams[name]["labels"]:
                problems.append(f"docs/metrics.md ({section}): {name} "
                                f"labels {sorted(labels)} documented, "
                                f"{sorted(fams[name]['labels'])} exported")
    return problems


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    log(f"drift guard took {time.monotonic() - t0:.0f}s")
