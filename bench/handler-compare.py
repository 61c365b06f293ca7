#!/usr/bin/env python3
"""Interleaved comparison of two builds of the handler benchmarks (bench/README.md, "Handler").

Runs OLD's and NEW's `opp-bench-handler`, each against its own `opp-handler`, one after the other, REPS times,
so both see the same machine load, and prints the medians of (b) start-up, (c) per-registration cost and
overhead, and (d) throughput, with NEW's difference to OLD.

    python3 bench/handler-compare.py OLD_RELEASE_DIR NEW_RELEASE_DIR [--reps 5]

Each folder holds a release build's `opp-bench-handler` and `opp-handler` (for a commit from before the
benchmark binary moved to bench/, the same two binaries from that commit's own build).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROWS = [
    ("(b) start-up, ms", r"\| \(b\) .*\| ([0-9.]+) ms \|"),
    ("(c) through the handler, µs", r"\| \(c\) one registration .*\| ([0-9.]+) µs \|"),
    ("(c) TransactWriteItems alone, µs", r"\| \(c\) the same TransactWriteItems .*\| ([0-9.]+) µs \|"),
    # A difference of two noisy times: below zero when the direct calls happened to be slower (seen in CI).
    ("(c) handler overhead, %", r"\| \(c\) handler overhead \| (-?[0-9.]+) % \|"),
    ("(d) registrations per second", r"\| \(d\) .*\| ([0-9.]+) /s \|"),
]


def run(folder, extra):
    bench = os.path.join(folder, "opp-bench-handler")
    handler = os.path.join(folder, "opp-handler")
    out = subprocess.run([bench, "--handler-bin", handler, *extra], check=True, capture_output=True, text=True).stdout
    values = {}
    for name, pattern in ROWS:
        match = re.search(pattern, out)
        if not match:
            sys.exit(f"{bench}: no line for {name} in:\n{out}")
        values[name] = float(match.group(1))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny runs (checks that the script works)")
    args = parser.parse_args()
    extra = ["--quick"] if args.quick else []
    series = {"old": [], "new": []}
    for rep in range(args.reps):
        for side in ("old", "new"):
            series[side].append(run(getattr(args, side), extra))
            print(f"run {rep + 1}/{args.reps} {side} done", file=sys.stderr)
    print(f"Median of {args.reps} interleaved runs of each build.\n")
    print("| measurement | old | new | new vs old |")
    print("|---|---:|---:|---:|")
    for name, _ in ROWS:
        old = statistics.median(v[name] for v in series["old"])
        new = statistics.median(v[name] for v in series["new"])
        if name.endswith(", %"):  # a share already: the change is in percentage points
            print(f"| {name} | {old:,.1f} | {new:,.1f} | {new - old:+.1f} points |")
            continue
        change = (new / old - 1.0) * 100.0 if old else 0.0
        print(f"| {name} | {old:,.1f} | {new:,.1f} | {change:+.1f} % |")


if __name__ == "__main__":
    main()
