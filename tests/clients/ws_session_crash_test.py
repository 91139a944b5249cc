#!/usr/bin/env python3
"""A client-session actor that crashes in a running daemon (issue 22:
counted and closed; the pipeline's counters and commits unaffected).

The fault hook of dashstream-faults makes a session throw when its client sends
"ds-test-hook-crash-session". On the real broker:

1. the crashing client's connection is closed with 1011 and
   dashstream_websocket_session_failures_total counts 1;
2. another client, connected throughout, receives every record produced
   before and after, byte for byte;
3. the pipeline processed every record, and committed them all: after
   kill -9, a new daemon in the same group finds nothing left to process.

    ws_session_crash_test.py DASHSTREAM_FAULTS_BIN KAFKA_BOOTSTRAP_FILE
"""
import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (Receiver, create_topic, fail, log, metric,  # noqa: E402
                   metrics, start_daemon, stop_daemon, topic_values)

PER_PHASE = 1_000


def produce(bin_, brokers, topic):
    subprocess.run(
        [bin_, "produce", "--brokers", brokers, "--topic", topic,
         "--count", str(PER_PHASE), "--threads", "10", "--size", "200",
         "--rate", "2000"],
        check=True, capture_output=True, timeout=300)


def processed(port):
    return sum(float(v) for v in re.findall(
        r"^dashstream_records_total\{[^}]*\} (\S+)", metrics(port), re.M))


def wait_processed(port, n):
    deadline = time.monotonic() + 120
    while processed(port) < n:
        if time.monotonic() > deadline:
            fail("the pipeline processed %d of %d" % (processed(port), n))
        time.sleep(0.2)


async def scenario(bin_, brokers, topic, port):
    url = "ws://127.0.0.1:%d/ws" % port
    stop = asyncio.Event()
    other = Receiver("other", None)
    ready = asyncio.Event()
    task = asyncio.create_task(other.run(url, None, True, ready, stop))
    await asyncio.wait_for(ready.wait(), 10)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, produce, bin_, brokers, topic)
    async with websockets.connect(url, max_size=None) as victim:
        await victim.send("ds-test-hook-crash-session")
        try:
            while True:
                await asyncio.wait_for(victim.recv(), 10)
        except websockets.ConnectionClosed as e:
            if e.code != 1011:
                fail("the crashed session closed with %s, want 1011" % e.code)
    log("the crashed session's connection closed with 1011")
    await loop.run_in_executor(None, produce, bin_, brokers, topic)
    truth = topic_values(brokers, topic)
    deadline = time.monotonic() + 120
    while len(other.values) < len(truth) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stop.set()
    await task
    if set(other.values) != set(truth) or other.disorder:
        fail("the other client got %d of %d records (%d out of order)" %
             (len(other.values), len(truth), len(other.disorder)))
    for k, v in other.values.items():
        if truth[k] != v:
            fail("%s differs from Kafka's value" % (k,))
    log("the other client got all %d records, byte for byte, in order" %
        len(truth))
    return len(truth)


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-session-crash-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic, partitions=3)
    work = tempfile.mkdtemp()
    fast = ["kafka.session_timeout_ms=6000"]  # the restart rejoins sooner
    daemon, port = start_daemon(bin_, brokers, topic, work, fast)
    second = None
    try:
        total = asyncio.run(scenario(bin_, brokers, topic, port))
        text = metrics(port)
        failures = metric(text, "dashstream_websocket_session_failures_total")
        if failures != 1:
            fail("session failures %s, want 1" % failures)
        wait_processed(port, total)
        log("session failures counted: 1; the pipeline processed all %d" %
            total)
        # Commits: give the periodic commit its time, then no graceful
        # shutdown to commit on the way out.
        time.sleep(6)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(30)
        second, port2 = start_daemon(bin_, brokers, topic, work, fast)
        deadline = time.monotonic() + 120
        while metric(metrics(port2), "dashstream_partitions_assigned") != 3:
            if time.monotonic() > deadline:
                fail("the new daemon never got the 3 partitions")
            time.sleep(0.2)
        time.sleep(3)
        again = processed(port2)
        if again != 0:
            fail("a new daemon in the group processed %d records again: "
                 "they were not committed" % again)
        log("after kill -9, a new daemon in the group found nothing left "
            "to process: every record was committed")
    finally:
        stop_daemon(daemon)
        if second:
            stop_daemon(second)
    log("PASS")


if __name__ == "__main__":
    main()
