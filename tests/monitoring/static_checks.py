#!/usr/bin/env python3
"""Checks of monitoring/ and its docs that need no running daemon.

- every alert has severity (critical|high|medium) and signal labels,
  summary/description/runbook_url annotations, and its runbook_url is
  docs/runbook.md#<its own section>, which exists;
- every alert is mapped in docs/alerts.md;
- tests/monitoring/alert_rules_test.yml has, for every alert, a case where
  it fires and one where it does not;
- the time-compressed copy the end-to-end test uses
  (scripts/monitoring/scale_rules.py) differs from the shipped rules only
  in durations, each divided by the factor, and is itself valid;
- the Grafana dashboards are valid JSON with fixed, unique uids, every
  panel and query uses the provisioned datasource's uid, and every query
  is valid PromQL (promtool parses it as a recording rule);
- the Alertmanager receivers all post resolved alerts to the webhook.

    static_checks.py [PROMTOOL]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts", "monitoring"))
import monlib  # noqa: E402
import scale_rules  # noqa: E402

import yaml  # noqa: E402

problems = []


def problem(msg):
    problems.append(msg)


def github_anchor(heading):
    a = heading.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def runbook_anchors():
    return {github_anchor(line.lstrip("#"))
            for line in monlib.read("docs/runbook.md").splitlines()
            if re.match(r"^#{1,6} ", line)}


def check_rules():
    rules = monlib.alert_rules()
    anchors = runbook_anchors()
    alerts_md = monlib.read("docs/alerts.md")
    names = [r["alert"] for r in rules]
    if len(names) != len(set(names)):
        problem("duplicate alert names in alert_rules.yml")
    for r in rules:
        name = r["alert"]
        labels = r.get("labels", {})
        ann = r.get("annotations", {})
        if labels.get("severity") not in ("critical", "high", "medium"):
            problem(f"{name}: severity {labels.get('severity')!r}")
        if not labels.get("signal"):
            problem(f"{name}: no signal label (inhibition needs it)")
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                problem(f"{name}: no {key} annotation")
        url = ann.get("runbook_url", "")
        m = re.fullmatch(r"docs/runbook\.md#([\w-]+)", url)
        if not m:
            problem(f"{name}: runbook_url {url!r} is not docs/runbook.md#x")
        elif m.group(1) not in anchors:
            problem(f"{name}: {url} has no section in docs/runbook.md")
        elif m.group(1) != name.lower():
            problem(f"{name}: runbook_url should be its own section "
                    f"#{name.lower()}")
        if not re.search(r"\b" + name + r"\b", alerts_md):
            problem(f"{name}: not mentioned in docs/alerts.md")
    return names


def check_rule_tests(names):
    tests = monlib.load_yaml("tests/monitoring/alert_rules_test.yml")
    fires, quiet = set(), set()
    for t in tests["tests"]:
        for case in t.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(
                case["alertname"])
    for n in names:
        if n not in fires:
            problem(f"{n}: no promtool test case where it fires")
        if n not in quiet:
            problem(f"{n}: no promtool test case where it stays quiet")
    for n in (fires | quiet) - set(names):
        problem(f"alert_rules_test.yml tests unknown alert {n}")


def check_scaled(promtool):
    src = monlib.read("monitoring/alert_rules.yml")
    factor = 15
    scaled = scale_rules.scale_text(src, factor)
    if scale_rules.mask_durations(scaled) != scale_rules.mask_durations(src):
        problem("scale_rules.py changed more than durations")
    durations = []
    for p in scale_rules.PATTERNS:
        durations += [m.group("d") for m in p.finditer(src)]
    scaled_durations = []
    for p in scale_rules.PATTERNS:
        scaled_durations += [m.group("d") for m in p.finditer(scaled)]
    if not durations:
        problem("scale_rules.py found no durations in the rules")
    for a, b in zip(durations, scaled_durations):
        want = max(1, round(scale_rules.seconds(a) / factor))
        if scale_rules.seconds(b) != want:
            problem(f"scaled {a} to {b}, expected {want}s")
    # Every duration in the file is one the scaler knows about.
    code = "\n".join(line for line in src.splitlines()
                     if not line.lstrip().startswith("#"))
    leftover = re.findall(r"\b\d+[smhdw]\b",
                          scale_rules.mask_durations(code))
    if leftover:
        problem(f"durations scale_rules.py does not scale: {leftover}")
    # Same rules, same order.
    a = yaml.safe_load(src)["groups"]
    b = yaml.safe_load(scaled)["groups"]
    if [[r.get("alert") for r in g["rules"]] for g in a] != \
            [[r.get("alert") for r in g["rules"]] for g in b]:
        problem("the scaled copy has different rules")
    if promtool:
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write(scaled)
            f.flush()
            r = subprocess.run([promtool, "check", "rules", f.name],
                               capture_output=True, text=True)
            if r.returncode:
                problem(f"the scaled rules do not check:\n{r.stdout}"
                        f"{r.stderr}")


def check_dashboards(promtool):
    prov = monlib.load_yaml(
        "monitoring/grafana/provisioning/datasources/dashstream.yml")
    all_ds = prov["datasources"]
    ds = [d for d in all_ds if d.get("type") == "prometheus"]
    if len(ds) != 1 or not ds[0].get("uid"):
        problem("provisioning: expected one prometheus datasource with uid")
        return
    ds_uid = ds[0]["uid"]
    # Exemplar links must name a datasource that is provisioned too.
    uids = {d.get("uid") for d in all_ds}
    for dest in ds[0].get("jsonData", {}).get(
            "exemplarTraceIdDestinations", []):
        if dest.get("datasourceUid") not in uids:
            problem("provisioning: exemplarTraceIdDestinations names "
                    f"datasource {dest.get('datasourceUid')!r}, which is "
                    "not provisioned")
    dprov = monlib.load_yaml(
        "monitoring/grafana/provisioning/dashboards/dashstream.yml")
    if not dprov.get("providers"):
        problem("provisioning: no dashboard provider")
    files = monlib.dashboard_files()
    if not files:
        problem("no dashboards in monitoring/grafana/dashboards")
    uids = set()
    recording = []
    for f in files:
        try:
            d = json.loads(monlib.read(f))
        except json.JSONDecodeError as e:
            problem(f"{f}: {e}")
            continue
        uid = d.get("uid")
        if not uid or uid in uids:
            problem(f"{f}: missing or duplicate uid {uid!r}")
        uids.add(uid)
        if d.get("id") is not None:
            problem(f"{f}: id must be null (Grafana assigns it)")
        ids = set()

        def walk(panels):
            for p in panels:
                if p.get("id") in ids:
                    problem(f"{f}: duplicate panel id {p.get('id')}")
                ids.add(p.get("id"))
                if p.get("type") != "row":
                    pds = p.get("datasource", {})
                    if pds.get("uid") != ds_uid:
                        problem(f"{f}: panel {p.get('title')!r} datasource "
                                f"{pds!r}, expected uid {ds_uid}")
                    if not p.get("targets"):
                        problem(f"{f}: panel {p.get('title')!r} has no query")
                    for t in p.get("targets", []):
                        if t.get("datasource", {}).get("uid") != ds_uid:
                            problem(f"{f}: a query of {p.get('title')!r} "
                                    "does not use the provisioned uid")
                walk(p.get("panels", []))
        walk(d.get("panels", []))
        for title, expr in monlib.dashboard_exprs(f):
            e = expr.replace("$__rate_interval", "1m").replace(
                "$__interval", "1m").replace("$__range", "1h")
            if "$" in e:
                problem(f"{f}: {title!r} uses an unknown variable: {expr}")
            recording.append({"record": f"dashboard:q{len(recording)}",
                              "expr": e})
    if promtool and recording:
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as tf:
            yaml.safe_dump({"groups": [{"name": "dashboards",
                                        "rules": recording}]}, tf)
            tf.flush()
            r = subprocess.run([promtool, "check", "rules", tf.name],
                               capture_output=True, text=True)
            if r.returncode:
                problem(f"dashboard queries are not valid PromQL:\n"
                        f"{r.stdout}{r.stderr}")


def check_alertmanager():
    am = monlib.load_yaml("monitoring/alertmanager.yml")
    for r in am["receivers"]:
        hooks = r.get("webhook_configs", [])
        if not hooks or not all(h.get("send_resolved") for h in hooks):
            problem(f"receiver {r['name']}: needs the webhook with "
                    "send_resolved: true")
    routed = {m for route in am["route"].get("routes", [])
              for m in route.get("matchers", [])}
    for sev in ("critical", "high", "medium"):
        if f'severity="{sev}"' not in routed:
            problem(f"alertmanager.yml: no route for severity {sev}")
    inhibit = [(tuple(i["source_matchers"]), tuple(i["target_matchers"]))
               for i in am.get("inhibit_rules", [])]
    want = [(('severity="critical"',), ('severity=~"high|medium"',)),
            (('severity="high"',), ('severity="medium"',))]
    if inhibit != want:
        problem(f"alertmanager.yml: inhibition should be critical > high > "
                f"medium, is {inhibit}")
    for i in am.get("inhibit_rules", []):
        if "signal" not in i.get("equal", []):
            problem("an inhibit rule does not require an equal signal")


def check_prometheus():
    p = monlib.load_yaml("monitoring/prometheus.yml")
    if "alert_rules.yml" not in p.get("rule_files", []):
        problem("prometheus.yml does not load alert_rules.yml")
    if not any(j["job_name"] == "dashstream" for j in p["scrape_configs"]):
        problem("prometheus.yml has no job 'dashstream' (rules select it)")


def main():
    promtool = sys.argv[1] if len(sys.argv) > 1 else "promtool"
    names = check_rules()
    check_rule_tests(names)
    check_scaled(promtool)
    check_dashboards(promtool)
    check_alertmanager()
    check_prometheus()
    for p in problems:
        print("FAIL: " + p)
    if problems:
        sys.exit(1)
    print(f"OK: {len(names)} alerts, dashboards, provisioning, routing")


if __name__ == "__main__":
    main()
