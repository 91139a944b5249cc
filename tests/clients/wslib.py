"""What the WebSocket tests (ws_*_test.py) share: a daemon on the real
broker, the topic's ground truth read with kcat, failing and logging."""
import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def log(msg):
    print(msg, flush=True)


def create_topic(bin_, brokers, topic, partitions=6):
    subprocess.run([bin_, "produce", "--brokers", brokers, "--topic", topic,
                    "--count", "0", "--create-topic", str(partitions)],
                   check=True, capture_output=True, timeout=120)


def start_daemon(bin_, brokers, topic, work, settings):
    """`dashstream run` on an ephemeral port with `settings` (--set
    key=value each) and its spool in `work`; returns (process, port) once
    /ready says its partitions are assigned."""
    logf = open(os.path.join(work, "daemon-%d.log" % time.monotonic_ns()),
                "w+")
    cmd = [bin_, "run", "--brokers", brokers, "--topic", topic,
           "--group-id", topic + "-g", "--port", "0",
           "--set", "dlq.spool_dir=" + os.path.join(work, "spool")]
    for s in settings:
        cmd += ["--set", s]
    daemon = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    port = None
    for _ in range(300):
        logf.seek(0)
        m = re.search(r'"event":"listening","port":(\d+)', logf.read())
        if m:
            port = int(m.group(1))
            break
        if daemon.poll() is not None:
            break
        time.sleep(0.1)
    if not port:
        logf.seek(0)
        fail("the daemon did not listen:\n" + logf.read()[-3000:])
    # A restarted group member may wait for the rebalance.
    for _ in range(600):
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/ready" % port, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.1)
    return daemon, port


def stop_daemon(daemon):
    daemon.terminate()
    try:
        daemon.wait(30)
    except subprocess.TimeoutExpired:
        daemon.kill()


def metrics(port):
    return urllib.request.urlopen(
        "http://127.0.0.1:%d/metrics" % port).read().decode()


def metric(text, series):
    m = re.search(r"^%s (\S+)" % re.escape(series), text, re.M)
    return float(m.group(1)) if m else None


def topic_values(brokers, topic):
    """(partition, offset) -> value bytes, as kcat reads the topic."""
    raw = subprocess.run(
        ["kcat", "-C", "-b", brokers, "-t", topic, "-e", "-o", "beginning",
         "-q", "-f", "%p %o %S:%s"],
        capture_output=True, timeout=300).stdout
    values = {}
    at = 0
    head = re.compile(rb"(\d+) (\d+) (-?\d+):")
    while at < len(raw):
        m = head.match(raw, at)
        if not m:
            fail("cannot parse kcat output at byte %d" % at)
        p, o, n = int(m.group(1)), int(m.group(2)), int(m.group(3))
        at = m.end()
        values[(p, o)] = raw[at:at + max(n, 0)]
        at += max(n, 0)
    return values


class Receiver:
    """One client on /ws that keeps every record it receives: (partition,
    offset) -> value, and every offset that did not increase on its
    partition (a duplicate or a reorder)."""

    def __init__(self, name, tenant):
        self.name = name
        self.tenant = tenant  # None: sees every tenant
        self.values = {}
        self.last = {}
        self.disorder = []

    async def run(self, url, tok, by_header, ready, stop):
        """Reads until `stop` is set or the daemon goes away; the token as
        Authorization: Bearer or as ?token= (None: no token)."""
        import websockets
        headers = {}
        if tok is not None and by_header:
            headers["Authorization"] = "Bearer " + tok
        elif tok is not None:
            url += "?token=" + tok
        try:
            async with websockets.connect(url, extra_headers=headers,
                                          max_size=None) as ws:
                ready.set()
                while not stop.is_set():
                    try:
                        msg = await asyncio.wait_for(ws.recv(), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    j = json.loads(msg)
                    if j["type"] != "cursor":
                        continue
                    value = await ws.recv()
                    p, o = j["partition"], int(j["offset"])
                    if o <= self.last.get(p, -1):
                        self.disorder.append((p, o, self.last[p]))
                    self.last[p] = o
                    self.values[(p, o)] = value
        except websockets.ConnectionClosed:
            pass  # its daemon stopped
