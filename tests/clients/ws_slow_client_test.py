#!/usr/bin/env python3
"""One client stops reading; 99 others keep receiving everything.

Against `dashstream run` on the real broker with the contract's slow-client
defaults (replay.slow_client_threshold 1000, window 60 s) and
pipeline.memory_budget_bytes = 256 MiB:

1. a client that connects and never reads (a 4 KiB receive buffer) is sent
   disconnect{reason:"backpressure"}, then closed with 1008, while the
   records flow (20 000 records of about 330 B: more than the 4 MiB the
   kernel's send buffer can take for it, tcp_wmem's maximum here);
2. 99 clients, read by 4 reader processes, each receive every one of the
   records (as many as Kafka has, each once);
3. the daemon's peak RSS stays within its memory budget; the slow-client
   counter says 1.

    ws_slow_client_test.py DASHSTREAM_BIN KAFKA_BOOTSTRAP_FILE
    ws_slow_client_test.py --reader URL CLIENTS RECORDS   (internal)
"""
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (create_topic, fail, log, metric, metrics,  # noqa: E402
                   start_daemon, stop_daemon)

RECORDS = 20_000
READERS = 4
FAST_CLIENTS = 99
BUDGET = 256 << 20


async def read_all(url, n, records, ready_file):
    counts = [set() for _ in range(n)]

    async def one(i, opened):
        async with websockets.connect(url, max_size=None,
                                      ping_interval=None) as ws:
            opened.set()
            while len(counts[i]) < records:
                msg = await asyncio.wait_for(ws.recv(), 60)
                if isinstance(msg, bytes):
                    continue
                j = json.loads(msg)
                if j["type"] == "cursor":
                    key = (j["partition"], j["offset"])
                    if key in counts[i]:
                        fail("client %d got %s twice" % (i, key))
                    counts[i].add(key)
                elif j["type"] == "disconnect":
                    fail("a fast client was disconnected: %s" % j)

    tasks = []
    for i in range(n):
        opened = asyncio.Event()
        tasks.append(asyncio.create_task(one(i, opened)))
        await asyncio.wait_for(opened.wait(), 10)
    open(ready_file, "w").write("ready")
    await asyncio.gather(*tasks)
    print(json.dumps([len(c) for c in counts]), flush=True)


async def stalled(url):
    """Connects with a tiny receive buffer and reads nothing until told."""
    host, port = re.match(r"ws://([^:/]+):(\d+)", url).groups()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    # No keepalive pings: a client that reads nothing would time its own
    # pings out and close first.
    ws = await websockets.connect(url, sock=sock, max_size=None,
                                  max_queue=1, read_limit=4096,
                                  ping_interval=None)
    return ws


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--reader":
        url, n, records = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        asyncio.run(read_all(url, n, records, os.environ["READY_FILE"]))
        return
    if len(sys.argv) != 3:
        fail(__doc__)
    bin_ = sys.argv[1]
    brokers = open(sys.argv[2]).read().strip()
    topic = "ws-slow-%d" % random.randrange(10**9)
    create_topic(bin_, brokers, topic)
    work = tempfile.mkdtemp()
    daemon, port = start_daemon(bin_, brokers, topic, work, [
        "http.max_connections_per_ip=200",
        "pipeline.memory_budget_bytes=%d" % BUDGET,
        # The stalled client reads again only once the records are sent:
        # its stuck write must outlast that, so that it sees the
        # disconnect (a client that never reads again is closed by this
        # timeout instead).
        "http.send_timeout_secs=120"])
    readers = []
    try:
        url = "ws://127.0.0.1:%d/ws" % port
        per = [FAST_CLIENTS // READERS + (1 if i < FAST_CLIENTS % READERS
                                          else 0) for i in range(READERS)]
        for i, n in enumerate(per):
            ready = os.path.join(work, "ready-%d" % i)
            readers.append((subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--reader", url,
                 str(n), str(RECORDS)], stdout=subprocess.PIPE, text=True,
                env=dict(os.environ, READY_FILE=ready)), ready))
        for _, ready in readers:
            for _ in range(300):
                if os.path.exists(ready):
                    break
                time.sleep(0.1)
            else:
                fail("a reader process did not connect its clients")

        async def run():
            ws = await stalled(url)
            log("%d fast clients and 1 stalled client connected" %
                FAST_CLIENTS)
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: subprocess.run(
                    [bin_, "produce", "--brokers", brokers, "--topic", topic,
                     "--count", str(RECORDS), "--threads", "30",
                     "--size", "200", "--rate", "400"],
                    check=True, capture_output=True, timeout=300))
            # Now read what the stalled client was sent: its records, then
            # the disconnect, then the close.
            last_text = None
            try:
                while True:
                    msg = await asyncio.wait_for(ws.recv(), 30)
                    if isinstance(msg, str):
                        last_text = json.loads(msg)
            except websockets.ConnectionClosed as e:
                code = e.code
            if not last_text or last_text.get("type") != "disconnect" or \
                    last_text.get("reason") != "backpressure":
                fail("the stalled client's last message: %s" % last_text)
            if code != 1008:
                fail("the stalled client was closed with %s, want 1008" %
                     code)
            log("the stalled client got disconnect{backpressure} "
                "(lag_in_window %s, threshold %s), then close 1008" %
                (last_text["lag_in_window"], last_text["threshold"]))

        asyncio.run(run())
        for p, _ in readers:
            out, _ = p.communicate(timeout=180)
            if p.returncode != 0:
                fail("a reader failed: %s" % out[-2000:])
            counts = json.loads(out.strip().splitlines()[-1])
            if any(c != RECORDS for c in counts):
                fail("fast clients' record counts: %s" % counts)
        log("%d fast clients each received all %d records, each once" %
            (FAST_CLIENTS, RECORDS))
        text = metrics(port)
        slow = metric(text, "dashstream_websocket_slow_client_disconnects_total")
        peak = metric(text, "dashstream_process_resident_memory_max_bytes")
        if slow != 1:
            fail("slow-client disconnects: %s, want 1" % slow)
        if peak is None or peak > BUDGET:
            fail("peak RSS %s above the budget %d" % (peak, BUDGET))
        log("slow-client disconnects 1; peak RSS %.0f MiB within the "
            "%d MiB budget" % (peak / 2**20, BUDGET >> 20))
    finally:
        for p, _ in readers:
            if p.poll() is None:
                p.kill()
        stop_daemon(daemon)
    log("PASS")


if __name__ == "__main__":
    main()
