#!/usr/bin/env python3
"""Two daemons in one consumer group, clients on both (contract §5.2 and
issue 22 item 7), on the real broker with HS256 tokens for two tenants.

Each daemon validates the partitions the group assigns it and reads the
others outside the group (the mirror). Checked:

1. the 6 partitions split between the two daemons, and each mirrors the
   partitions it does not hold;
2. 2 clients per tenant on each daemon: every client receives every
   record of its tenant, byte for byte, and nothing else, with per-
   partition offsets strictly increasing (no duplicate, no reorder);
3. daemon B stops; the group gives its partitions to A, which now
   validates what it mirrored: A's clients receive every record of the
   records produced before and after, still exactly once and in order.

    ws_two_daemons_test.py DASHSTREAM_BIN KAFKA_BOOTSTRAP_FILE
"""
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import jwt
import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (Receiver, create_topic, fail, log, metric,  # noqa: E402
                   metrics, start_daemon, stop_daemon, topic_values)

TENANTS = ["tenant-0", "tenant-1"]
PER_PHASE = 3_000
SECRET = "two-daemons-test-secret-of-32-bytes!"


def produce(bin_, brokers, topic):
    subprocess.run(
        [bin_, "produce", "--brokers", brokers, "--topic", topic,
         "--count", str(PER_PHASE), "--tenants", str(len(TENANTS)),
         "--threads", "20", "--size", "200", "--rate", "2000"],
        check=True, capture_output=True, timeout=300)


def tenant_of(v):
    found = [t for t in TENANTS if t.encode() in v]
    if len(found) != 1:
        fail("a value names %s" % found)
    return found[0]


async def wait_for(receivers, want, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(len(r.values) >= len(want[r.tenant]) for r in receivers):
            return
        await asyncio.sleep(0.2)


def check(receivers, want, truth):
    for r in receivers:
        got = set(r.values)
        expect = want[r.tenant]
        if got != expect:
            fail("%s: %d records, want %d (missing %d, foreign %d)" %
                 (r.name, len(got), len(expect), len(expect - got),
                  len(got - expect)))
        if r.disorder:
            fail("%s: offsets not increasing: %s" % (r.name, r.disorder[:5]))
        for k, v in r.values.items():
            if v != truth[k]:
                fail("%s: %s differs from Kafka's value" % (r.name, k))


def split(ports):
    """Per daemon: (assigned, mirrored) partitions, from /metrics."""
    out = []
    for port in ports:
        text = metrics(port)
        out.append((metric(text, "dashstream_partitions_assigned"),
                    metric(text, "dashstream_websocket_mirrored_partitions")))
    return out


def wait_split(ports, pred, what):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        s = split(ports)
        if pred(s):
            return s
        time.sleep(0.2)
    fail("%s: never (assigned, mirrored) per daemon %s" % (what, split(ports)))


async def main_async(bin_, brokers, topic, daemons, ports):
    now = int(time.time())
    tokens = {t: jwt.encode({"tenant_id": t, "exp": now + 3600}, SECRET,
                            algorithm="HS256") for t in TENANTS}
    stop = asyncio.Event()
    on = {0: [], 1: []}
    tasks = []
    for d, port in enumerate(ports):
        for t in TENANTS:
            for i in range(2):
                r = Receiver("daemon%d/%s/%d" % (d, t, i), t)
                ready = asyncio.Event()
                tasks.append(asyncio.create_task(r.run(
                    "ws://127.0.0.1:%d/ws" % port, tokens[t], True, ready,
                    stop)))
                await asyncio.wait_for(ready.wait(), 10)
                on[d].append(r)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, produce, bin_, brokers, topic)
    truth = topic_values(brokers, topic)
    want = {t: {k for k, v in truth.items() if tenant_of(v) == t}
            for t in TENANTS}
    await wait_for(on[0] + on[1], want, 120)
    check(on[0] + on[1], want, truth)
    log("phase 1: %d clients on 2 daemons each got every record of its "
        "tenant (%s), byte for byte, in order, once" %
        (len(on[0]) + len(on[1]), {t: len(s) for t, s in want.items()}))

    stop_daemon(daemons[1])
    await loop.run_in_executor(None, lambda: wait_split(
        ports[:1], lambda s: s[0] == (6.0, 0.0), "daemon A takes over"))
    log("daemon B stopped: daemon A validates all 6 partitions")
    await loop.run_in_executor(None, produce, bin_, brokers, topic)
    truth = topic_values(brokers, topic)
    want = {t: {k for k, v in truth.items() if tenant_of(v) == t}
            for t in TENANTS}
    await wait_for(on[0], want, 120)
    stop.set()
    await asyncio.gather(*tasks)
    check(on[0], want, truth)
    log("phase 2: daemon A's %d clients got all %d records of both phases "
        "exactly once, in order, across the handover" %
        (len(on[0]), len(truth)))


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-two-daemons-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic)
    work = tempfile.mkdtemp()
    secret = os.path.join(work, "secret")
    with open(secret, "w") as f:
        f.write(SECRET)
    daemons, ports = [], []
    try:
        for name in ("a", "b"):
            os.makedirs(os.path.join(work, name))
            d, port = start_daemon(bin_, brokers, topic,
                                   os.path.join(work, name),
                                   ["auth.hs256_secret_file=" + secret])
            daemons.append(d)
            ports.append(port)
        s = wait_split(
            ports, lambda s: all(a and a > 0 and a + m == 6 for a, m in s)
            and s[0][0] + s[1][0] == 6, "the group splits")
        log("6 partitions split (assigned, mirrored) per daemon: %s" % s)
        asyncio.run(main_async(bin_, brokers, topic, daemons, ports))
        mirrored = metric(metrics(ports[0]),
                          "dashstream_websocket_mirrored_records_total")
        if not mirrored:
            fail("daemon A mirrored no records")
        log("daemon A mirrored %d records of daemon B's partitions" %
            mirrored)
    finally:
        for d in daemons:
            stop_daemon(d)
    log("PASS")


if __name__ == "__main__":
    main()
