#!/usr/bin/env python3
"""Runs a command (e.g. `dashstream bench bad-records-300k`) and reports the
CPU time of every `dashstream run` daemon it starts, split by thread name
(CAF workers, the consumer, the DLQ sink's threads, io_uring workers,
librdkafka). Samples /proc every 50 ms and keeps each thread's last value,
so a thread that exits between samples loses its last 50 ms: io_uring
workers (iou-wrk) come and go and are a lower bound.

    python3 bench/thread_cpu.py build/release/app/dashstream \\
        bench bad-records-300k
"""
import collections
import os
import subprocess
import sys
import time


def is_daemon(pid):
    argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    return argv[0].endswith(b"dashstream") and b"run" in argv


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    child = subprocess.Popen(sys.argv[1:])
    last = collections.defaultdict(dict)  # pid -> tid -> (name, ticks)
    while child.poll() is None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if int(pid) == child.pid or not is_daemon(pid):
                    continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                    name = stat[stat.index("(") + 1:stat.rindex(")")]
                    fields = stat[stat.rindex(")") + 2:].split()
                    last[pid][tid] = (name, int(fields[11]) + int(fields[12]))
            except OSError:
                pass  # gone meanwhile
        time.sleep(0.05)
    hz = os.sysconf("SC_CLK_TCK")
    for pid, threads in last.items():
        by_name = collections.Counter()
        for name, ticks in threads.values():
            by_name["iou-wrk" if name.startswith("iou-wrk") else name] += ticks
        total = sum(by_name.values()) / hz
        parts = " ".join(f"{k}={v / hz:.2f}" for k, v in by_name.most_common())
        print(f"daemon {pid}: {total:.2f} s CPU: {parts}")
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
