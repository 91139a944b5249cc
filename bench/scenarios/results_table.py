#!/usr/bin/env python3
"""Prints the Markdown results table of docs/benchmarks.md from the
docs/bench/<scenario>.json files that `dashstream bench --json-file` wrote."""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
names = sys.argv[1:] or ["ingest-100b", "ingest-100b-zstd", "ingest-1k",
                         "ingest-1k-zstd", "zstd-4k", "threads-1m", "faults",
                         "latency-50pct", "sweep"]
print("| Scenario | Date (UTC) | Produced | Processed | Raw rec/s | Pipeline rec/s "
      "| **pipeline/raw** (min..max) | CPU µs/rec raw → pipeline (ratio) "
      "| Peak RSS | Plot |")
print("|---|---|---:|---:|---:|---:|---|---|---:|---|")
for n in names:
    p = root / "docs" / "bench" / f"{n}.json"
    if not p.exists():
        print(f"| {n} | not run | | | | | | | | |")
        continue
    d = json.loads(p.read_text())
    s = d["summary"]
    date = d["environment"]["date"]
    if "sweep" in d:
        b = s["best"]
        print(f"| {n} | {date} | {s['produced']} | all: {s['processed_equals_produced']} "
              f"| {s['raw_records_per_second']:,.0f} | best {b['records_per_second']:,.0f} "
              f"(v={b['validators']}, t={b['scheduler_threads']}) "
              f"| **{b['ratio_throughput']:.2f}** | {s['raw_cpu_us_per_record']:.2f} → "
              f"{b['cpu_us_per_record']:.2f} | {b['peak_rss_bytes']/2**20:.0f} MiB "
              f"| docs/bench/{n}.png |")
        continue
    rss = s.get("peak_rss_bytes") or 0
    print(f"| {n} | {date} | {s['produced']} | {s['processed']:.0f} "
          f"| {s['raw_records_per_second']:,.0f} | {s['pipeline_records_per_second']:,.0f} "
          f"| **{s['ratio_throughput']:.2f}** ({s['ratio_throughput_min']:.2f}.."
          f"{s['ratio_throughput_max']:.2f}) | {s['raw_cpu_us_per_record']:.2f} → "
          f"{s['pipeline_cpu_us_per_record']:.2f} ({s['ratio_cpu_per_record']:.1f}×) "
          f"| {rss/2**20:.0f} MiB | docs/bench/{n}.png |")
