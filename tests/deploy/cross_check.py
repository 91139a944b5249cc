#!/usr/bin/env python3
"""The deployment drift guard: docker/compose.yaml and deploy/k8s/ against
the real daemon, like tests/monitoring/drift_guard.py for metric names.

What the daemon says is the truth: `dashstream config print --effective`
lists every key, `dashstream config check` rejects unknown keys and
misspelt DASHSTREAM_* variables, docs/configuration.md (generated from the
settings table) lists the old server's variables, and a running daemon
(`dashstream run` on its embedded broker) answers the probe paths.

Compose: the daemons' TOML and environment pass `config check`; the
effective http.port is the one exposed, published, health-checked and
scraped; dlq.spool_dir is a named volume per replica; the JWT key is the
mounted secret; kafka.brokers, kafka.topic and tracing.endpoint name the
stack's services and topic; health-based depends_on point at services with
a healthcheck; Prometheus loads our rules with exemplar storage; the
Grafana datasources equal monitoring/'s except their URLs, which name
services; the healthcheck command itself gets 200 from the daemon.

Kubernetes: the ConfigMap's TOML and the container's environment pass
`config check`; container port, probes, Services and ServiceMonitor agree
with http.port; the probe paths answer 200, and /health stays 200 on an
idle topic; terminationGracePeriodSeconds covers preStop +
pipeline.shutdown_timeout_secs; the memory request is
pipeline.memory_budget_bytes; the spool claim holds dlq.spool_budget_bytes;
secrets and files are where the config says; KEDA scales the same group
and topic, at most to the partition count; kustomization lists every
manifest.

    cross_check.py DASHSTREAM_BIN
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "monitoring"))
import monlib  # noqa: E402
from monlib import Child, eventually, http_get, log  # noqa: E402

REPO = monlib.REPO
DOCKER = os.path.join(REPO, "docker")
K8S = os.path.join(REPO, "deploy", "k8s")
CONFIG_ENV = "DASHSTREAM_CONFIG"  # names the file; not a key
DAEMONS = ["dashstream-1", "dashstream-2"]

problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
        log("FAIL " + msg)
    return cond


# ------------------------------------------------------------ the daemon --

def clean_env():
    """This process's environment without anything the daemon would read."""
    legacy = legacy_names()
    return {k: v for k, v in os.environ.items()
            if not k.startswith("DASHSTREAM_") and k not in legacy}


_legacy = None


def legacy_names():
    """{variable: key} from docs/configuration.md's table of the old
    server's variables (generated from the settings table)."""
    global _legacy
    if _legacy is None:
        _legacy = dict(re.findall(r"^\| `([A-Z_]+)` \| `([a-z_.]+)` \|$",
                                  monlib.read("docs/configuration.md"), re.M))
    return _legacy


def run_config(binary, args, env):
    p = subprocess.run([binary, "config"] + args, env={**clean_env(), **env},
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def effective(binary, toml_path, env):
    """(ok, {section: {key: value}}) of `config check` + `config print`."""
    rc, out = run_config(binary, ["check", toml_path], env)
    if not check(rc == 0, f"dashstream config check {rel(toml_path)} with "
                 f"{sorted(env)}: exit {rc}\n{out}"):
        return None
    rc, out = run_config(binary, ["print", "--effective", "--config",
                                  toml_path], env)
    check(rc == 0, f"config print --effective: exit {rc}\n{out}")
    return tomllib.loads(out)


def check_env_names(names, where, extra=()):
    """Every name is a DASHSTREAM_* variable (checked by the daemon itself
    through config check), one of the old server's, or DASHSTREAM_CONFIG."""
    for n in names:
        ok = (n.startswith("DASHSTREAM_") or n in legacy_names()
              or n in extra)
        check(ok, f"{where}: environment variable {n} is neither "
              "DASHSTREAM_<SECTION>_<KEY> nor one of the old server's "
              "(docs/configuration.md)")


UNITS = {"b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
         "tib": 1 << 40}
K8S_UNITS = {"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30,
             "Ti": 1 << 40, "k": 10**3, "M": 10**6, "G": 10**9}


def size_bytes(v):
    if isinstance(v, int):
        return v
    m = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", v.strip())
    return int(m.group(1)) * UNITS[m.group(2).lower() or "b"]


def quantity_bytes(q):
    m = re.fullmatch(r"(\d+)([A-Za-z]*)", str(q))
    return int(m.group(1)) * K8S_UNITS[m.group(2)]


def rel(path):
    return os.path.relpath(path, REPO)


# ---------------------------------------------------------- probe daemon --

def start_probe_daemon(binary, toml_path, tmp):
    """The daemon with the manifests' own TOML, on its embedded broker,
    loopback and a free port: what differs from a cluster is only where
    Kafka, the spool and the keys are. health.window_secs is short so that
    the idle-topic check spans several health windows."""
    secret = os.path.join(tmp, "hs256.secret")
    with open(secret, "w") as f:
        f.write("cross-check-secret\n")
    spool = os.path.join(tmp, "spool")
    argv = [binary, "run", "--config", toml_path]
    for s in ["kafka.brokers=", "kafka.security_protocol=plaintext",
              "kafka.sasl_mechanism=", "http.host=127.0.0.1", "http.port=0",
              f"dlq.spool_dir={spool}", "auth.jwks_file=",
              f"auth.hs256_secret_file={secret}", "health.window_secs=2",
              "tracing.endpoint=", "log.level=info"]:
        argv += ["--set", s]
    child = Child("dashstream", argv, tmp, env=clean_env())

    def port():
        if not child.alive():
            monlib.fail(f"the daemon exited early:\n{child.tail()}")
        return monlib.daemon_http_port(child)

    p = eventually(port, 60, "the daemon to log its HTTP port")
    log(f"daemon up on 127.0.0.1:{p}")
    return child, p


def probe_paths(port, paths, where):
    """Each path answers 200 (after the group assigned the partitions)."""
    base = f"http://127.0.0.1:{port}"
    eventually(lambda: http_get(base + "/ready")[0] == 200, 60,
               "/ready to answer 200")
    for path in sorted(paths):
        status, body = http_get(base + path)
        check(status == 200, f"{where}: probe path {path} answered "
              f"{status}: {body[:200]}")


def idle_health(port, seconds):
    """/health and /ready stay 200 on a topic that gets no records, across
    several health windows: a liveness probe cannot flap there."""
    base = f"http://127.0.0.1:{port}"
    bad = []
    n = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/health", "/ready"):
            status, body = http_get(base + path)
            n += 1
            if status != 200:
                bad.append(f"{path} {status} {body[:120]}")
        time.sleep(0.25)
    check(not bad, f"on an idle topic {len(bad)} of {n} probe requests "
          f"failed: {bad[:3]}")
    log(f"idle topic: {n} probe requests over {seconds} s, all 200")


# --------------------------------------------------------------- compose --

def compose_env(svc):
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    return {k: str(v) for k, v in env.items()}


def mounts(svc):
    """[(source, target)] of short-syntax volumes."""
    out = []
    for v in svc.get("volumes", []):
        parts = v.split(":")
        out.append((parts[0], parts[1]))
    return out


def host_port(url):
    m = re.match(r"^(?:[a-z]+://)?([^:/]+):(\d+)", url)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def check_compose(binary):
    path = os.path.join(DOCKER, "compose.yaml")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    services = doc["services"]
    check(all(d in services for d in DAEMONS),
          f"compose: services {DAEMONS} (two replicas)")
    eff_by = {}
    for name in DAEMONS:
        svc = services.get(name, {})
        env = compose_env(svc)
        where = f"compose {name}"
        check_env_names(env, where, extra=[CONFIG_ENV])
        cfg_target = env.get(CONFIG_ENV)
        src = [s for s, t in mounts(svc) if t == cfg_target]
        if not check(len(src) == 1, f"{where}: {CONFIG_ENV}={cfg_target} "
                     "is not a mounted file"):
            continue
        toml_path = os.path.normpath(os.path.join(DOCKER, src[0]))
        eff = effective(binary, toml_path,
                        {k: v for k, v in env.items() if k != CONFIG_ENV})
        if eff is None:
            continue
        eff_by[name] = eff
        port = eff["http"]["port"]
        check(eff["http"]["host"] == "0.0.0.0",
              f"{where}: http.host is {eff['http']['host']}, not 0.0.0.0: "
              "other containers cannot reach it")
        check(str(port) in [str(p) for p in svc.get("expose", [])],
              f"{where}: http.port {port} not in expose")
        targets = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports", [])]
        check(targets == [str(port)],
              f"{where}: published container ports {targets} != http.port "
              f"{port}")
        hc = " ".join(svc.get("healthcheck", {}).get("test", []))
        check(f"/tcp/127.0.0.1/{port} " in hc,
              f"{where}: the healthcheck does not connect to http.port {port}")
        # The spool: a named volume, one per replica.
        spool = eff["dlq"]["spool_dir"]
        vols = [s for s, t in mounts(svc) if t == spool]
        check(len(vols) == 1 and vols[0] in (doc.get("volumes") or {}),
              f"{where}: dlq.spool_dir {spool} is not a named volume")
        # The JWT key: a compose secret.
        key = eff["auth"]["hs256_secret_file"]
        secrets = [s if isinstance(s, str) else s["source"]
                   for s in svc.get("secrets", [])]
        check(key in [f"/run/secrets/{s}" for s in secrets],
              f"{where}: auth.hs256_secret_file {key} is not a mounted "
              f"secret {secrets}")
        for s in secrets:
            spec = doc.get("secrets", {}).get(s, {})
            f = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1",
                       spec.get("file", ""))
            check(os.path.isfile(os.path.join(DOCKER, f)),
                  f"compose secret {s}: file {f} missing")
        # Kafka, the topic, Jaeger: services of this stack.
        kafka = services.get("kafka", {})
        adv = compose_env(kafka).get("KAFKA_ADVERTISED_LISTENERS", "")
        for b in eff["kafka"]["brokers"].split(","):
            h, p = host_port(b)
            check(h in services and f"//{h}:{p}" in adv,
                  f"{where}: kafka.brokers {b} is not an advertised "
                  "listener of a service")
        init = services.get("kafka-init", {}).get("command", [])
        topic = init[init.index("--topic") + 1] if "--topic" in init else None
        check(topic == eff["kafka"]["topic"],
              f"{where}: kafka.topic {eff['kafka']['topic']} != the topic "
              f"kafka-init creates ({topic})")
        if "--partitions" in init:
            check(int(init[init.index("--partitions") + 1]) >= len(DAEMONS),
                  "compose: fewer partitions than daemons")
        h, p = host_port(eff["tracing"]["endpoint"])
        check(h in services, f"{where}: tracing.endpoint names no service")
        deps = svc.get("depends_on", {})
        check(deps.get("kafka", {}).get("condition") == "service_healthy",
              f"{where}: does not wait for kafka to be healthy")
    if len(eff_by) == len(DAEMONS):
        groups = {eff_by[d]["kafka"]["group_id"] for d in DAEMONS}
        check(len(groups) == 1, f"compose: daemons in groups {groups}")
        spools = [[s for s, t in mounts(services[d])
                   if t == eff_by[d]["dlq"]["spool_dir"]] for d in DAEMONS]
        check(len({tuple(s) for s in spools}) == len(DAEMONS),
              f"compose: replicas share a spool volume {spools}")
    # Health-based depends_on points at services that have a healthcheck.
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if isinstance(spec, dict) and \
                    spec.get("condition") == "service_healthy":
                check("healthcheck" in services.get(dep, {}),
                      f"compose {name}: waits for {dep} to be healthy, "
                      "which has no healthcheck")
    # Every bind-mounted file exists.
    for name, svc in services.items():
        for s, _ in mounts(svc):
            if s.startswith("."):
                check(os.path.exists(os.path.join(DOCKER, s)),
                      f"compose {name}: mounted {s} does not exist")
    check_compose_prometheus(services, eff_by)
    check_compose_grafana(services)
    return services, eff_by


def check_compose_prometheus(services, eff_by):
    prom = services.get("prometheus", {})
    cmd = prom.get("command", [])
    check("--enable-feature=exemplar-storage" in cmd,
          "compose prometheus: exemplar storage is off")
    cfg_target = next((c.split("=", 1)[1] for c in cmd
                       if c.startswith("--config.file=")), None)
    by_target = {t: s for s, t in mounts(prom)}
    if not check(cfg_target in by_target,
                 "compose prometheus: its config file is not mounted"):
        return
    with open(os.path.join(DOCKER, by_target[cfg_target])) as f:
        cfg = yaml.safe_load(f)
    for r in cfg.get("rule_files", []):
        target = os.path.join(os.path.dirname(cfg_target), r)
        check(os.path.normpath(by_target.get(target, "")) ==
              "../monitoring/alert_rules.yml",
              f"compose prometheus: rule file {r} is not "
              "monitoring/alert_rules.yml")
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    job = jobs.get("dashstream")
    if check(job is not None, "compose prometheus: no job 'dashstream' "
             "(the alert rules select on it)"):
        targets = sorted(t for sc in job["static_configs"]
                         for t in sc["targets"])
        want = sorted(f"{d}:{eff_by[d]['http']['port']}" for d in eff_by)
        check(targets == want, f"compose prometheus: targets {targets} != "
              f"the daemons' service:http.port {want}")
    for am in cfg["alerting"]["alertmanagers"]:
        for sc in am["static_configs"]:
            for t in sc["targets"]:
                check(t.split(":")[0] in services,
                      f"compose prometheus: alertmanager {t} is no service")


def check_compose_grafana(services):
    ours = monlib.load_yaml(
        "monitoring/grafana/provisioning/datasources/dashstream.yml")
    graf = services.get("grafana", {})
    by_target = {t: s for s, t in mounts(graf)}
    src = by_target.get("/etc/grafana/provisioning/datasources")
    if not check(src is not None, "compose grafana: no datasources mounted"):
        return
    d = os.path.normpath(os.path.join(DOCKER, src))
    for fn in sorted(os.listdir(d)):
        with open(os.path.join(d, fn)) as f:
            theirs = yaml.safe_load(f)
        a = {x["uid"]: x for x in ours["datasources"]}
        b = {x["uid"]: x for x in theirs["datasources"]}
        check(set(a) == set(b), f"compose grafana {fn}: uids {sorted(b)} != "
              f"monitoring/'s {sorted(a)}")
        for uid in set(a) & set(b):
            x = {k: v for k, v in a[uid].items() if k != "url"}
            y = {k: v for k, v in b[uid].items() if k != "url"}
            check(x == y, f"compose grafana {fn}: datasource {uid} differs "
                  "from monitoring/'s in more than its URL")
            h, p = host_port(b[uid]["url"])
            check(h in services, f"compose grafana {fn}: {uid} url "
                  f"{b[uid]['url']} names no service")
            check(host_port(a[uid]["url"])[1] == p,
                  f"compose grafana {fn}: {uid} port {p} differs")


def compose_healthcheck(services, port):
    """Runs a daemon's compose healthcheck command, as Docker would, against
    the probe daemon on `port`."""
    test = services[DAEMONS[0]]["healthcheck"]["test"]
    check(test[0] == "CMD", "compose healthcheck: expected exec form")
    argv = [a.replace("$$", "$") for a in test[1:]]
    argv = [re.sub(r"/tcp/127\.0\.0\.1/\d+ ", f"/tcp/127.0.0.1/{port} ", a)
            for a in argv]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    check(p.returncode == 0, "compose healthcheck command failed against a "
          f"ready daemon: exit {p.returncode} {p.stderr}")
    log(f"compose healthcheck: exit {p.returncode} against a ready daemon")


# ------------------------------------------------------------ Kubernetes --

def load_k8s():
    objs = {}
    for fn in sorted(os.listdir(K8S)):
        if not fn.endswith(".yaml"):
            continue
        with open(os.path.join(K8S, fn)) as f:
            for d in yaml.safe_load_all(f):
                if d:
                    objs[(d["kind"], d.get("metadata", {}).get("name"))] = \
                        (fn, d)
    return objs


def one(objs, kind):
    found = [d for (k, _), (_, d) in objs.items() if k == kind]
    check(len(found) == 1, f"k8s: expected one {kind}, found {len(found)}")
    return found[0] if found else {}


def check_k8s(binary, tmp):
    objs = load_k8s()
    sts = one(objs, "StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    c = pod["containers"][0]
    # The config file: the args name it, a ConfigMap key is mounted there.
    args = c.get("args", [])
    cfg_path = args[args.index("--config") + 1] if "--config" in args \
        else None
    mount = next((m for m in c["volumeMounts"]
                  if m["mountPath"] == cfg_path), None)
    if not check(mount is not None, f"k8s: --config {cfg_path} not mounted"):
        return None, None
    vol = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    cm_name = vol["configMap"]["name"]
    cm = objs.get(("ConfigMap", cm_name), (None, {}))[1]
    toml_text = cm.get("data", {}).get(mount.get("subPath"))
    if not check(toml_text, f"k8s: ConfigMap {cm_name} has no key "
                 f"{mount.get('subPath')}"):
        return None, None
    toml_path = os.path.join(tmp, "configmap.toml")
    with open(toml_path, "w") as f:
        f.write(toml_text)
    # The container's environment: secret values are not known here, a
    # placeholder stands for them; $(VAR) references are expanded.
    env_names = [e["name"] for e in c.get("env", [])]
    referenced = set(re.findall(r"\$\((\w+)\)", yaml.safe_dump(c["env"])))
    check_env_names([n for n in env_names if n not in referenced],
                    "k8s container env")
    env = {}
    for e in c.get("env", []):
        v = e.get("value", "placeholder")
        env[e["name"]] = re.sub(r"\$\((\w+)\)",
                                lambda m: env.get(m.group(1), "x"), v)
    env = {k: v for k, v in env.items() if k not in referenced}
    eff = effective(binary, toml_path, env)
    if eff is None:
        return None, None

    port = eff["http"]["port"]
    check(eff["http"]["host"] == "0.0.0.0",
          f"k8s: http.host {eff['http']['host']}: kubelet probes and the "
          "Service cannot reach a loopback bind")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    check(list(ports.values()) == [port],
          f"k8s: containerPorts {ports} != http.port {port}")

    def resolve(p):
        return ports.get(p, p) if isinstance(p, str) else p

    paths = {}
    for probe in ("readinessProbe", "livenessProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        check(resolve(g.get("port")) == port,
              f"k8s: {probe} port {g.get('port')} is not http.port {port}")
        paths[probe] = g.get("path")
    check(paths == {"readinessProbe": "/ready", "livenessProbe": "/health"},
          f"k8s: probes {paths}; want readiness /ready, liveness /health")
    live = c.get("livenessProbe", {})
    tolerance = live.get("periodSeconds", 10) * live.get(
        "failureThreshold", 3)
    check(tolerance >= 120, f"k8s: liveness restarts after {tolerance} s of "
          "503 (a rebalance or a short outage); want at least 120 s")
    # Shutdown: preStop pause, then the drain, inside the grace period.
    grace = pod.get("terminationGracePeriodSeconds", 30)
    pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get(
        "seconds", 0)
    drain = eff["pipeline"]["shutdown_timeout_secs"]
    check(pre > 0, "k8s: no preStop pause before SIGTERM")
    check(grace > pre + drain, f"k8s: terminationGracePeriodSeconds {grace} "
          f"<= preStop {pre} + pipeline.shutdown_timeout_secs {drain}")
    # Memory: request = the budget, limit above it.
    budget = size_bytes(eff["pipeline"]["memory_budget_bytes"])
    res = c.get("resources", {})
    req = quantity_bytes(res.get("requests", {}).get("memory", "0"))
    lim = quantity_bytes(res.get("limits", {}).get("memory", "0"))
    check(req == budget, f"k8s: memory request {req} != "
          f"pipeline.memory_budget_bytes {budget}")
    check(lim >= budget * 1.1, f"k8s: memory limit {lim} leaves less than "
          f"10 % over the budget {budget} (docs/tuning.md: measured peaks "
          "up to 109 %)")
    # The spool: a claim per pod, at dlq.spool_dir, big enough.
    spool = eff["dlq"]["spool_dir"]
    claims = {t["metadata"]["name"]: t for t in
              sts["spec"].get("volumeClaimTemplates", [])}
    sm = next((m for m in c["volumeMounts"] if m["mountPath"] == spool), {})
    check(sm.get("name") in claims, f"k8s: dlq.spool_dir {spool} is not a "
          "volumeClaimTemplate (spooled DLQ records would not survive a "
          "reschedule)")
    if sm.get("name") in claims:
        size = quantity_bytes(claims[sm["name"]]["spec"]["resources"]
                              ["requests"]["storage"])
        check(size > size_bytes(eff["dlq"]["spool_budget_bytes"]),
              f"k8s: spool claim {size} B <= dlq.spool_budget_bytes")
    # Key files: inside a mounted Secret; secretKeyRefs exist.
    secret_mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    secret_vols = {v["name"]: v["secret"]["secretName"]
                   for v in pod["volumes"] if "secret" in v}
    examples = {n: d for (k, n), (fn, d) in objs.items()
                if k == "Secret"}
    for key in ("hs256_secret_file", "public_key_file", "jwks_file"):
        f = eff["auth"][key]
        if not f:
            continue
        d, base = os.path.split(f)
        vol = secret_mounts.get(d)
        check(vol in secret_vols, f"k8s: auth.{key} {f} is not in a "
              "mounted Secret")
        if vol in secret_vols:
            s = examples.get(secret_vols[vol], {})
            check(base in s.get("stringData", s.get("data", {})),
                  f"k8s: Secret {secret_vols[vol]} (example) has no {base}")
    check(any(eff["auth"][k] for k in ("hs256_secret_file",
                                       "public_key_file", "jwks_file")),
          "k8s: no JWT key configured (a 0.0.0.0 bind needs one)")
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            s = examples.get(ref["name"], {})
            check(ref["key"] in s.get("stringData", s.get("data", {})),
                  f"k8s: env {e['name']}: Secret {ref['name']} (example) "
                  f"has no key {ref['key']}")
    # Services and the ServiceMonitor on the same port name.
    for (k, n), (fn, d) in objs.items():
        if k == "Service":
            for p in d["spec"]["ports"]:
                check(resolve(p["targetPort"]) == port,
                      f"k8s: Service {n} targets {p['targetPort']}")
    smon = one(objs, "ServiceMonitor")
    svc_labels = [d["metadata"].get("labels", {}) for (k, _), (_, d)
                  in objs.items() if k == "Service"]
    sel = smon.get("spec", {}).get("selector", {}).get("matchLabels", {})
    matched = [ls for ls in svc_labels
               if all(ls.get(a) == b for a, b in sel.items())]
    check(len(matched) == 1, f"k8s: the ServiceMonitor selects "
          f"{len(matched)} Services; want exactly one (else every daemon is "
          "scraped twice)")
    for ep in smon.get("spec", {}).get("endpoints", []):
        check(ep.get("port") in ports and ep.get("path") == "/metrics",
              f"k8s: ServiceMonitor endpoint {ep}")
    # Autoscaling: the same group and topic, at most one daemon per partition.
    so = one(objs, "ScaledObject")
    spec = so.get("spec", {})
    parts = int(so.get("metadata", {}).get("annotations", {}).get(
        "dashstream.io/topic-partitions", 0))
    mx, mn = spec.get("maxReplicaCount", 100), spec.get("minReplicaCount", 0)
    check(parts > 0 and mx <= parts, f"k8s: maxReplicaCount {mx} > the "
          f"topic's partitions ({parts}): extra daemons would own nothing")
    check(mn <= sts["spec"]["replicas"] <= mx,
          "k8s: StatefulSet replicas outside KEDA's range")
    check(spec.get("scaleTargetRef", {}).get("kind") == "StatefulSet" and
          spec["scaleTargetRef"].get("name") == sts["metadata"]["name"],
          "k8s: the ScaledObject does not scale the StatefulSet")
    for t in spec.get("triggers", []):
        md = t.get("metadata", {})
        if t.get("type") == "kafka":
            check(md.get("topic") == eff["kafka"]["topic"] and
                  md.get("consumerGroup") == eff["kafka"]["group_id"] and
                  md.get("bootstrapServers") == eff["kafka"]["brokers"],
                  f"k8s: KEDA's kafka trigger {md} does not watch the "
                  "daemons' brokers, topic and group")
            check(md.get("allowIdleConsumers") == "false",
                  "k8s: KEDA may add idle consumers past the partitions")
    readme = monlib.read("deploy/README.md")
    check(f"{parts} partitions" in readme,
          f"deploy/README.md does not say the topic needs {parts} partitions")
    # kustomization lists every manifest but the Secret example.
    with open(os.path.join(K8S, "kustomization.yaml")) as f:
        kz = yaml.safe_load(f)
    want = sorted(fn for fn in os.listdir(K8S) if fn.endswith(".yaml") and
                  fn not in ("kustomization.yaml", "secrets.example.yaml"))
    check(sorted(kz.get("resources", [])) == want,
          f"k8s: kustomization resources {kz.get('resources')} != {want}")
    return toml_path, set(paths.values())


def main():
    if len(sys.argv) < 2:
        monlib.fail(__doc__)
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ds-deploy-")
    log("compose: docker/compose.yaml against the daemon's configuration")
    services, _ = check_compose(binary)
    log("k8s: deploy/k8s against the daemon's configuration")
    toml_path, k8s_paths = check_k8s(binary, tmp)
    if toml_path is None:
        monlib.fail(f"{len(problems)} problems")
    child, port = start_probe_daemon(binary, toml_path, tmp)
    try:
        hc_paths = set(re.findall(r"GET (\S+) HTTP", " ".join(
            services[DAEMONS[0]]["healthcheck"]["test"])))
        check(hc_paths == {"/ready"}, f"compose healthcheck paths {hc_paths}")
        probe_paths(port, k8s_paths | hc_paths,
                    "k8s probes and compose healthchecks")
        compose_healthcheck(services, port)
        idle_health(port, 8)
    finally:
        t0 = time.monotonic()
        rc = child.stop(timeout=60)
        took = time.monotonic() - t0
        log(f"daemon stopped: exit {rc} after {took:.1f} s")
    check(rc == 0, f"the daemon exited {rc} on SIGTERM:\n{child.tail()}")
    if problems:
        monlib.fail(f"{len(problems)} problems (above)")
    log("PASS: compose and k8s agree with the daemon")


if __name__ == "__main__":
    main()
