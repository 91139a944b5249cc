#!/usr/bin/env python3
"""Derive a time-compressed copy of monitoring/alert_rules.yml.

Production windows (`for: 5m`, `rate(...[5m])`, `offset 15m`) make a live
alert test take many minutes. This writes the *same* rules with every
duration divided by FACTOR (rounded to whole seconds, at least 1 s):
the `for:` of each alert, and each range selector and offset inside the
expressions. Nothing else changes -- thresholds, label matchers,
aggregations, labels and annotations are byte-for-byte the shipped ones,
and tests/monitoring/static_checks.py proves it by comparing the two
files with every duration masked.

    scripts/monitoring/scale_rules.py monitoring/alert_rules.yml OUT FACTOR

Used by tests/monitoring/alerts_e2e.py; handy for a local demo too (run
Prometheus with scrape/evaluation intervals of about 1 s).
"""
import re
import sys

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# One PromQL/Prometheus duration such as 5m, 90s or 1h30m.
DURATION = r"(?:\d+(?:ms|s|m|h|d|w))+"
# Where durations appear in our rules: `for:` values, range selectors
# `[5m]` (and subquery `[5m:1m]`), and `offset 15m`.
PATTERNS = [
    re.compile(r"(?P<pre>^\s*for:\s*)(?P<d>" + DURATION + r")(?P<post>\s*$)",
               re.M),
    re.compile(r"(?P<pre>\[)(?P<d>" + DURATION + r")(?P<post>[\]:])"),
    re.compile(r"(?P<pre>:)(?P<d>" + DURATION + r")(?P<post>\])"),
    re.compile(r"(?P<pre>\boffset\s+)(?P<d>" + DURATION + r")(?P<post>)"),
]


def seconds(text):
    total = 0.0
    for num, unit in re.findall(r"(\d+)(ms|s|m|h|d|w)", text):
        total += int(num) * UNITS[unit]
    return total


def scale_text(text, factor):
    def repl(m):
        s = max(1, round(seconds(m.group("d")) / factor))
        return m.group("pre") + f"{s}s" + m.group("post")

    for p in PATTERNS:
        text = p.sub(repl, text)
    return text


def mask_durations(text):
    """The text with every duration the scaler touches replaced by <d>."""
    for p in PATTERNS:
        text = p.sub(lambda m: m.group("pre") + "<d>" + m.group("post"), text)
    return text


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    src, out, factor = argv[1], argv[2], float(argv[3])
    if factor < 1:
        sys.stderr.write("FACTOR must be >= 1\n")
        return 2
    with open(src, encoding="utf-8") as f:
        text = f.read()
    with open(out, "w", encoding="utf-8") as f:
        f.write(scale_text(text, factor))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
