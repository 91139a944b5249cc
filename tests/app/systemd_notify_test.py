#!/usr/bin/env python3
"""The daemon under a Type=notify unit, without systemd: the test owns the
datagram socket NOTIFY_SOCKET names and reads what the daemon says.

- READY=1 comes once the daemon consumes (partitions assigned: /ready is
  200) and never while its broker is unreachable;
- WATCHDOG=1 comes every half interval (WATCHDOG_USEC) while the actor
  system answers, and stops while it is wedged (a test fault hook blocks
  the only scheduler thread for 4 s), then resumes;
- STATUS= carries the health summary; STOPPING=1 comes on SIGTERM.

usage: systemd_notify_test.py path/to/dashstream-faults
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "monitoring"))
import monlib  # noqa: E402
from monlib import Child, eventually, fail, http_get, log  # noqa: E402

TOPIC = "notify-test"


class NotifySocket:
    """The NOTIFY_SOCKET end: every datagram, with its arrival time."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.lock = threading.Lock()
        self.messages = []  # (monotonic time, "KEY=value")
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            with self.lock:
                for line in data.decode().splitlines():
                    self.messages.append((now, line))

    def lines(self, prefix=""):
        with self.lock:
            return [(t, m) for t, m in self.messages if m.startswith(prefix)]

    def close(self):
        self.running = False
        self.sock.close()


def start(binary, brokers, tmp, name, notify_path, watchdog_usec=None):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    env.pop("WATCHDOG_PID", None)
    argv = [binary, "run", "--set", "http.port=0",
            "--set", f"kafka.brokers={brokers}",
            "--set", f"kafka.topic={TOPIC}",
            "--set", f"kafka.group_id={name}-{os.getpid()}",
            "--set", "pipeline.scheduler_threads=1",
            "--set", f"dlq.spool_dir={tmp}/{name}-spool"]
    return Child(name, argv, tmp, env=env)


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ds-notify-")
    children = []
    socks = []
    ok = False
    try:
        # 1. Nothing to consume from: no READY=1, but a STATUS= line.
        dead = NotifySocket(os.path.join(tmp, "dead.sock"))
        socks.append(dead)
        closed_port = monlib.free_ports(1)[0]
        d0 = start(binary, f"127.0.0.1:{closed_port}", tmp, "unreachable",
                   dead.path)
        children.append(d0)
        eventually(lambda: dead.lines("STATUS="), 30,
                   "a STATUS= line from the daemon without a broker")
        time.sleep(5)
        if dead.lines("READY="):
            fail("READY=1 without a reachable broker: "
                 f"{dead.lines()}")
        log(f"no broker: no READY=1 in 5 s; {dead.lines('STATUS=')[-1][1]}")
        d0.stop()

        # 2. A broker: READY=1 once partitions are assigned.
        mock = Child("kafka-mock", [binary, "kafka-mock", "--partitions",
                                    "2", "--topic", TOPIC], tmp,
                     stdout_pipe=True)
        children.append(mock)
        brokers = mock.proc.stdout.readline().decode().strip()
        if not brokers:
            fail(f"kafka-mock printed no address:\n{mock.tail()}")
        ns = NotifySocket(os.path.join(tmp, "notify.sock"))
        socks.append(ns)
        d = start(binary, brokers, tmp, "daemon", ns.path,
                  watchdog_usec=1_000_000)
        children.append(d)
        port = eventually(lambda: monlib.daemon_http_port(d), 60,
                          "the daemon's HTTP port")
        eventually(lambda: ns.lines("READY=1"), 60, "READY=1")
        status, body = http_get(f"http://127.0.0.1:{port}/ready")
        if status != 200:
            fail(f"READY=1 sent while /ready answers {status}: {body}")
        log(f"READY=1; /ready 200; {ns.lines('STATUS=')[-1][1]}")

        # 3. The watchdog: pings every 0.5 s while the actors answer ...
        time.sleep(3)
        pings = ns.lines("WATCHDOG=1")
        if len(pings) < 4:
            fail(f"only {len(pings)} WATCHDOG=1 in 3 s (interval 1 s)")
        # ... none while the only scheduler thread is blocked for 4 s ...
        subprocess.run(["kcat", "-P", "-b", brokers, "-t", TOPIC, "-K", ":",
                        "-p", "0"],
                       input="ds-test-hook-wedge:4000\n", text=True,
                       check=True, timeout=30)
        t_wedge = time.monotonic()
        time.sleep(7)
        after = [t for t, _ in ns.lines("WATCHDOG=1") if t > t_wedge]
        gaps = [b - a for a, b in zip([t_wedge] + after, after)]
        longest = max(gaps) if gaps else 7.0
        if longest < 3.0:
            fail(f"WATCHDOG=1 kept coming while the actors were wedged "
                 f"(longest gap {longest:.2f} s; the hook needs "
                 "dashstream-faults)")
        # ... and again afterwards.
        if not after or after[-1] < time.monotonic() - 2:
            fail("WATCHDOG=1 did not resume after the wedge")
        log(f"watchdog: {len(pings)} pings in 3 s; a {longest:.1f} s gap "
            f"while wedged; {len(after)} since")

        # 4. SIGTERM: STOPPING=1.
        os.killpg(d.proc.pid, signal.SIGTERM)
        d.proc.wait(60)
        eventually(lambda: ns.lines("STOPPING=1"), 10, "STOPPING=1")
        if d.proc.returncode != 0:
            fail(f"the daemon exited {d.proc.returncode} on SIGTERM")
        log(f"STOPPING=1; {ns.lines('STATUS=')[-1][1]}")
        ok = True
        log("PASS")
    finally:
        for s in socks:
            s.close()
        monlib.stop_all(children, tmp, ok)


if __name__ == "__main__":
    main()
