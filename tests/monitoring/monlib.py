"""Shared helpers of the monitoring tests: child processes, HTTP, the
Prometheus text format, and where metric names hide in our files.

Only the standard library and PyYAML (Debian: python3-yaml).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Series Prometheus itself adds to every target; rules may use them.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_series_added", "scrape_samples_post_metric_relabeling"}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def http_get(url, timeout=5):
    """(status, body) or (None, error text) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return None, str(e)


def eventually(pred, limit, what, step=0.25):
    """Polls pred() until it returns a truthy value or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            fail(f"timed out after {limit}s waiting for {what}")
        time.sleep(step)


class Child:
    """A child process in its own process group, output in a log file."""

    def __init__(self, name, argv, logdir, env=None, stdout_pipe=False):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.log_file = open(self.log_path, "ab")
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self.log_file,
            stderr=self.log_file, env=env, start_new_session=True)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode

    def tail(self, n=30):
        return "\n".join(self.log_text().splitlines()[-n:])


def stop_all(children, tmp, ok):
    """The end of every process-level test: children stopped newest first,
    the temporary directory removed after a pass and kept (and named) after
    a failure."""
    for c in reversed(list(children)):
        c.stop()
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        log(f"logs kept in {tmp}")


def daemon_http_port(child):
    """The port from the daemon's "started" log line ({"http":"host:port"})."""
    m = re.search(r'"http":"[^"]*:(\d+)"', child.log_text())
    return int(m.group(1)) if m else 0


def start_daemon(binary, settings, logdir, name="dashstream"):
    argv = [binary, "run", "--set", "http.port=0", "--set", "log.level=info"]
    for s in settings:
        argv += ["--set", s]
    child = Child(name, argv, logdir)

    def port():
        if not child.alive():
            fail(f"{name} exited early:\n{child.tail()}")
        return daemon_http_port(child)

    p = eventually(port, 60, f"{name} to log its HTTP port")
    log(f"{name} up, HTTP on 127.0.0.1:{p}")
    return child, p


# ------------------------------------------------- Prometheus text format --

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{family: {"type": t, "labels": set(label names), "series": n,
    "samples": [(name, {labels}, value)]}} from Prometheus text format.
    Histogram `le` and summary `quantile` are not counted as labels."""
    fams = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(None, 3)
            fams.setdefault(name, {"type": typ, "labels": set(), "series": 0,
                                   "samples": []})
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        fam = name
        if fam not in fams:
            for suf in HISTOGRAM_SUFFIXES:
                if name.endswith(suf) and name[: -len(suf)] in fams:
                    fam = name[: -len(suf)]
                    break
        entry = fams.setdefault(fam, {"type": "untyped", "labels": set(),
                                      "series": 0, "samples": []})
        lab = dict(LABEL.findall(labels))
        entry["labels"].update(k for k in lab if k not in ("le", "quantile"))
        entry["series"] += 1
        entry["samples"].append((name, lab, float(value)))
    return fams


def exported_families(text):
    """Families that have at least one sample (declared-but-empty ones are
    not visible to Prometheus, so they do not count)."""
    return {k: v for k, v in parse_exposition(text).items() if v["series"]}


def value(fams, family, sample=None, **labels):
    """Sum of the samples of `family` (sample name `sample`, default the
    family name) whose labels include `labels`."""
    if family not in fams:
        return 0.0
    name = sample or family
    return sum(v for n, lab, v in fams[family]["samples"]
               if n == name and all(lab.get(k) == x for k, x in labels.items()))


# ------------------------------------------------- names in our own files --

METRIC_TOKEN = re.compile(r"\bdashstream_[a-z0-9_]+")
# grep -E style alternations in the docs: dashstream_(a|b)_total.
METRIC_ALTERNATION = re.compile(r"\bdashstream_\(([a-z0-9_|]+)\)([a-z0-9_]*)")


def metric_tokens(text):
    names = set(METRIC_TOKEN.findall(text))
    for m in METRIC_ALTERNATION.finditer(text):
        names.update(f"dashstream_{alt}{m.group(2)}"
                     for alt in m.group(1).split("|"))
    return names


def family_of(token, known):
    """Maps a token (maybe a histogram's _bucket/_sum/_count) to a family
    name in `known`, else returns the token unchanged."""
    if token in known:
        return token
    for suf in HISTOGRAM_SUFFIXES:
        if token.endswith(suf) and token[: -len(suf)] in known:
            return token[: -len(suf)]
    return token


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def load_yaml(path):
    import yaml
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return yaml.safe_load(f)


def alert_rules(path="monitoring/alert_rules.yml"):
    return [r for g in load_yaml(path)["groups"] for r in g["rules"]
            if "alert" in r]


def dashboard_files():
    d = os.path.join(REPO, "monitoring", "grafana", "dashboards")
    return sorted(os.path.join("monitoring", "grafana", "dashboards", f)
                  for f in os.listdir(d) if f.endswith(".json"))


def dashboard_exprs(path):
    exprs = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if "expr" in t:
                    exprs.append((p.get("title", "?"), t["expr"]))
            walk(p.get("panels", []))

    walk(json.loads(read(path)).get("panels", []))
    return exprs


# Files whose dashstream_* names must all exist in the daemon's /metrics.
STRICT_FILES = ["monitoring/alert_rules.yml"]
# Documentation: names must exist in the daemon's or the producer's export.
DOC_FILES = ["docs/alerts.md", "docs/runbook.md", "docs/metrics.md",
             "monitoring/README.md"]


def referenced_names():
    """{file: set(tokens)} for the rules, the dashboards and the docs."""
    out = {}
    for f in STRICT_FILES + DOC_FILES:
        out[f] = metric_tokens(read(f))
    for f in dashboard_files():
        out[f] = metric_tokens(" ".join(e for _, e in dashboard_exprs(f)))
    return out


def metrics_doc_tables(path="docs/metrics.md"):
    """{section: {family: (type, set(labels))}} from the tables of
    docs/metrics.md: rows `| `name` | type | `a`, `b` | help |` under
    `## ` headings."""
    sections = {}
    current = None
    for line in read(path).splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            continue
        m = re.match(r"^\|\s*`(dashstream_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|"
                     r"([^|]*)\|", line)
        if m and current:
            labels = set(re.findall(r"`([a-z_]+)`", m.group(3)))
            sections.setdefault(current, {})[m.group(1)] = (m.group(2),
                                                            labels)
    return sections
