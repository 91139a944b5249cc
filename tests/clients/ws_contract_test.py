#!/usr/bin/env python3
"""A WebSocket client written from contract §5 alone, against the daemon.

Not the project's code: Debian's python3-websockets for the protocol, kcat
for the topic's ground truth. On the real broker:

1. live: a client connected before the traffic receives 100 000 records
   over 6 partitions as (TEXT cursor, BINARY value) pairs; every value
   equals the Kafka value byte for byte (kcat reads the topic); offsets
   are decimal strings and strictly increase per partition;
2. resume: the client disconnects, N more records are produced, and a
   resume with its last offsets returns exactly those N, in order, with no
   duplicate, then replay_complete; with replay.max_total below N the
   replay is capped and further resumes complete the range;
   replay.ring_bytes is at its minimum (1 MiB, about 2 800 of these
   records), so the missed records come partly from Kafka (cold reads)
   and partly from the ring;
3. kill -9 of the daemon, N more records, a restart: a resume with the
   last cursor returns exactly the records after it (the new daemon's
   ring is empty: Kafka, then the ring);
4. ping gets pong; an unknown type is ignored; invalid JSON is counted.

    ws_contract_test.py DASHSTREAM_BIN KAFKA_BOOTSTRAP_FILE
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

LIVE = 100_000
MISSED = 5_000
MAX_TOTAL = 2_000
PARTITIONS = 6


def produce(bin_, brokers, topic, count, prefix, create=False, rate=0):
    cmd = [bin_, "produce", "--brokers", brokers, "--topic", topic,
           "--count", str(count), "--threads", "60", "--size", "200",
           "--thread-prefix", prefix, "--rate", str(rate), "--json"]
    if create:
        cmd += ["--create-topic", str(PARTITIONS)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        fail("produce: " + out.stderr[-2000:])


class Client:
    """Receives (cursor, binary) pairs and control messages."""

    def __init__(self, ws):
        self.ws = ws
        self.records = []  # (partition, offset, value)
        self.control = []
        self.last = {}

    async def recv_json(self, timeout=30):
        msg = await asyncio.wait_for(self.ws.recv(), timeout)
        if isinstance(msg, bytes):
            fail("a BINARY frame without its cursor")
        return json.loads(msg)

    async def pump_until(self, done, timeout=120):
        deadline = time.monotonic() + timeout
        while not done(self):
            left = deadline - time.monotonic()
            if left <= 0:
                fail("timed out with %d records, control %s" %
                     (len(self.records), self.control[-3:]))
            try:
                j = await self.recv_json(left)
            except websockets.ConnectionClosed as e:
                fail("closed after %d records (%s); last control %s" %
                     (len(self.records), e, self.control[-2:]))
            if j.get("type") != "cursor":
                self.control.append(j)
                continue
            if not isinstance(j["offset"], str) or not j["offset"].isdigit():
                fail("offset is not a decimal string: %r" % (j["offset"],))
            value = await asyncio.wait_for(self.ws.recv(), left)
            if not isinstance(value, bytes):
                fail("the frame after a cursor is not BINARY")
            p, o = j["partition"], int(j["offset"])
            if o <= self.last.get(p, -1):
                fail("partition %d: offset %d after %d" %
                     (p, o, self.last[p]))
            self.last[p] = o
            self.records.append((p, o, value))


async def run(bin_, brokers, topic, port):
    url = "ws://127.0.0.1:%d/ws" % port
    async with websockets.connect(url, max_size=None) as ws:
        c = Client(ws)
        await ws.send(json.dumps({"type": "ping"}))
        await ws.send(json.dumps({"type": "no-such-type"}))
        await ws.send("{not json")
        await c.pump_until(lambda x: any(m["type"] == "pong"
                                         for m in x.control), 10)
        producer = asyncio.get_running_loop().run_in_executor(
            None, produce, bin_, brokers, topic, LIVE, "live-", False, 10_000)
        await c.pump_until(lambda x: len(x.records) >= LIVE, 300)
        await producer
        live, last = c.records, dict(c.last)
    log("live: %d records over partitions %s" % (len(live), sorted(last)))
    if len(live) != LIVE:
        fail("received %d records, produced %d" % (len(live), LIVE))
    if len(last) != PARTITIONS:
        fail("records from %d partitions, want %d" % (len(last), PARTITIONS))

    # Missed while disconnected.
    produce(bin_, brokers, topic, MISSED, "missed-")
    truth = topic_values(brokers, topic)
    for p, o, v in live:
        if truth.get((p, o)) != v:
            fail("partition %d offset %d: value differs from Kafka's" % (p, o))
    log("live: every value equals Kafka's, byte for byte")
    missed = sorted(k for k in truth
                    if k[1] > last.get(k[0], -1))
    if len(missed) != MISSED:
        fail("kcat sees %d records after the cursor, want %d" %
             (len(missed), MISSED))

    return await resume_exactly(url, last, truth, missed, "resume")


async def resume_exactly(url, last, truth, missed, what):
    """Resumes from `last` until not capped; checks the records are exactly
    `missed` (sorted (partition, offset) keys), byte for byte. Returns the
    cursor after it."""
    resumes = 0
    cursor = {str(p): str(o) for p, o in last.items()}
    async with websockets.connect(url, max_size=None) as ws:
        c = Client(ws)
        while True:
            resumes += 1
            await ws.send(json.dumps({"type": "resume",
                                      "lastOffsetsByPartition": cursor,
                                      "mode": "partition"}))
            await c.pump_until(lambda x: any(
                m["type"] == "replay_complete" for m in x.control), 60)
            done = [m for m in c.control if m["type"] == "replay_complete"][0]
            c.control = [m for m in c.control
                         if m["type"] != "replay_complete"]
            if done["totalReplayed"] > MAX_TOTAL:
                fail("%s: a replay of %d records, max_total %d" %
                     (what, done["totalReplayed"], MAX_TOTAL))
            cursor.update(done["lastOffsetsByPartition"])
            if not done["capped"]:
                break
            if resumes > len(missed) // MAX_TOTAL + 3:
                fail("%s: still capped after %d resumes" % (what, resumes))
        got = c.records
        stale = [m for m in c.control if m["type"] == "cursor_stale"]
        if stale:
            fail("%s: cursor_stale while Kafka has the records: %s" %
                 (what, stale))
    keys = [(p, o) for p, o, _ in got]
    if len(keys) != len(set(keys)):
        fail("%s: the replay has duplicates" % what)
    if sorted(keys) != missed:
        extra = sorted(set(keys) - set(missed))[:5]
        lost = sorted(set(missed) - set(keys))[:5]
        fail("%s: got %d records, want %d; extra %s, missing %s" %
             (what, len(keys), len(missed), extra, lost))
    for p, o, v in got:
        if truth[(p, o)] != v:
            fail("%s: partition %d offset %d differs from Kafka's" %
                 (what, p, o))
    log("%s: exactly the %d missed records, in %d resumes (capped pages), "
        "byte for byte" % (what, len(got), resumes))
    return {int(p): int(o) for p, o in cursor.items()}


def start_contract_daemon(bin_, brokers, topic, work):
    return start_daemon(bin_, brokers, topic, work, [
        "replay.max_total=%d" % MAX_TOTAL,
        "replay.ring_bytes=1MiB",
        # This client (Python, on a loaded 2-core machine) may read slower
        # than the stream: here that must not make it a slow client
        # (contract 5.4; clients_session_test covers that rule).
        "replay.slow_client_threshold=1000000",
        "http.ws_queue_max_bytes=1GiB"])


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-contract-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic, PARTITIONS)
    work = tempfile.mkdtemp()
    daemon, port = start_contract_daemon(bin_, brokers, topic, work)
    try:
        last = asyncio.run(run(bin_, brokers, topic, port))
        text = metrics(port)
        invalid = metric(text, "dashstream_websocket_invalid_messages_total")
        if invalid != 1:
            fail("invalid JSON not counted once: %s" % invalid)
        cold = metric(text, "dashstream_websocket_replay_cold_reads_total")
        if not cold or cold < 1:
            fail("the resume read nothing from Kafka: %s" % cold)
        log("ping answered, unknown type ignored, invalid JSON counted; "
            "%d cold reads" % cold)

        # kill -9, more records, restart: the new daemon's ring is empty.
        daemon.kill()
        daemon.wait(30)
        produce(bin_, brokers, topic, MISSED, "after-kill-")
        daemon, port = start_contract_daemon(bin_, brokers, topic, work)
        truth = topic_values(brokers, topic)
        cursor = asyncio.run(resume_exactly(
            "ws://127.0.0.1:%d/ws" % port, last, truth,
            sorted(k for k in truth if k[1] > last.get(k[0], -1)),
            "after kill -9"))
        if len(cursor) != PARTITIONS:
            fail("cursor after restart covers %d partitions" % len(cursor))
    finally:
        stop_daemon(daemon)
    log("PASS")


if __name__ == "__main__":
    main()
