#!/usr/bin/env python3
"""cursor_stale only past what Kafka retains (contract §5.3, issue 22 item
6), on the real broker.

A one-partition topic gets 5 100 records; then Kafka deletes the first 100
(kafka-broker.sh delete-records: Kafka's DeleteRecords, which moves the
log start offset as retention does), so its log starts at offset 100. The
daemon's replay ring (1 MiB) keeps only the newest records, so a resume
reads the rest back from Kafka:

- a cursor at 99 (the next record is Kafka's first): no cursor_stale, and
  exactly offsets 100..5099, byte for byte;
- a cursor at 98 and one at 10 (records Kafka no longer has): cursor_stale
  naming offset 100 as the oldest, then the same records.

    ws_stale_test.py DASHSTREAM_BIN KAFKA_BOOTSTRAP_FILE
"""
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (create_topic, fail, log, metric, metrics,  # noqa: E402
                   start_daemon, stop_daemon, topic_values)

FIRST = 100
SECOND = 5_000


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def produce(bin_, brokers, topic, count, size):
    out = subprocess.run(
        [bin_, "produce", "--brokers", brokers, "--topic", topic,
         "--count", str(count), "--threads", "20", "--size", str(size),
         "--json"],
        capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        fail("produce: " + out.stderr[-2000:])


def first_offset(brokers, topic):
    out = subprocess.run(
        ["kcat", "-C", "-b", brokers, "-t", topic, "-p", "0", "-o",
         "beginning", "-c", "1", "-e", "-q", "-f", "%o\n"],
        capture_output=True, text=True, timeout=60).stdout.strip()
    return int(out) if out else None


async def resume(url, after):
    """Resumes after `after` on partition 0: (stale messages, records)."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({
            "type": "resume",
            "lastOffsetsByPartition": {"0": str(after)}}))
        stale, records = [], []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(msg, bytes):
                fail("a binary frame without its cursor")
            j = json.loads(msg)
            if j["type"] == "cursor_stale":
                stale.append(j)
            elif j["type"] == "cursor":
                value = await ws.recv()
                records.append((j["partition"], int(j["offset"]), value))
            elif j["type"] == "replay_complete":
                if j.get("capped"):
                    fail("after %d: replay capped" % after)
                return stale, records
        fail("after %d: no replay_complete" % after)


def check(after, stale, records, truth, want_stale):
    offsets = [o for _, o, _ in records]
    if offsets != list(range(FIRST, FIRST + SECOND)):
        fail("after %d: got offsets %s..%s (%d), want %d..%d" %
             (after, offsets[:1], offsets[-1:], len(offsets), FIRST,
              FIRST + SECOND - 1))
    for p, o, v in records:
        if truth[(p, o)] != v:
            fail("after %d: offset %d differs from Kafka's value" % (after, o))
    if not want_stale and stale:
        fail("after %d: cursor_stale while Kafka has the records: %s" %
             (after, stale))
    if want_stale:
        if len(stale) != 1 or stale[0]["partition"] != 0 or \
                stale[0]["oldest"] != str(FIRST):
            fail("after %d: want one cursor_stale with oldest %d, got %s" %
                 (after, FIRST, stale))
    log("after %d: %s, then offsets %d..%d byte for byte" %
        (after, "cursor_stale (oldest %s)" % stale[0]["oldest"]
         if stale else "no cursor_stale", FIRST, FIRST + SECOND - 1))


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-stale-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic, partitions=1)
    produce(bin_, brokers, topic, FIRST + SECOND, 1000)
    broker_dir = os.path.dirname(os.path.abspath(sys.argv[2]))
    subprocess.run(
        ["bash", os.path.join(ROOT, "scripts", "kafka-broker.sh"),
         "delete-records", broker_dir, topic, "0", str(FIRST)],
        check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
    while first_offset(brokers, topic) != FIRST:
        if time.monotonic() > deadline:
            fail("Kafka kept the deleted records: first offset %s" %
                 first_offset(brokers, topic))
        time.sleep(0.5)
    truth = topic_values(brokers, topic)
    if sorted(truth) != [(0, o) for o in range(FIRST, FIRST + SECOND)]:
        fail("Kafka has %d records, not offsets %d..%d" %
             (len(truth), FIRST, FIRST + SECOND - 1))
    log("Kafka dropped offsets 0..%d; it keeps %d..%d" %
        (FIRST - 1, FIRST, FIRST + SECOND - 1))
    work = tempfile.mkdtemp()
    daemon, port = start_daemon(bin_, brokers, topic, work, [
        "replay.ring_bytes=1MiB", "replay.slow_client_threshold=1000000",
        "http.ws_queue_max_bytes=1GiB"])
    try:
        deadline = time.monotonic() + 120
        while True:
            text = metrics(port)
            ring = metric(text, "dashstream_websocket_ring_records") or 0
            done = sum(float(v) for v in re.findall(
                r"^dashstream_records_total\{[^}]*\} (\S+)", text, re.M))
            if done >= SECOND and ring > 0:
                break
            if time.monotonic() > deadline:
                fail("the daemon processed %d records" % done)
            time.sleep(0.2)
        if ring >= SECOND:
            fail("the ring keeps all %d records: no cold read" % ring)
        log("the ring keeps the newest %d records" % ring)
        url = "ws://127.0.0.1:%d/ws" % port
        for after, want_stale in ((FIRST - 1, False), (FIRST - 2, True),
                                  (10, True)):
            stale, records = asyncio.run(resume(url, after))
            check(after, stale, records, truth, want_stale)
        cold = metric(metrics(port),
                      "dashstream_websocket_replay_cold_reads_total")
        stale_total = metric(metrics(port),
                             "dashstream_websocket_replay_stale_total")
        if not cold or cold < 3 or stale_total != 2:
            fail("cold reads %s (want >= 3), stale %s (want 2)" %
                 (cold, stale_total))
        log("%d cold reads from Kafka, 2 stale cursors counted" % cold)
    finally:
        stop_daemon(daemon)
    log("PASS")


if __name__ == "__main__":
    main()
