#!/usr/bin/env python3
"""The test suite's cost, in figures that survive a noisy machine.

    .venv/bin/python benchmarks/bench_suite.py            # the whole suite, as `make test` runs it
    .venv/bin/python benchmarks/bench_suite.py tests/test_report.py   # some of it
    .venv/bin/python benchmarks/bench_suite.py --dont-write-bytecode  # as before `make test` unset it

Prints the wall time and the CPU time (user + system of pytest and everything it started), and
the work behind them, counted: how many programs ran under the mock engine, how many policy packs
and Chromium instances started, how many times ``finops`` ran as its own process. The counts do not
depend on the machine's speed; the times do, and on the build machine (a 2-core VM) the same pure
Python loop has taken anywhere from 1.8 s to 3.7 s of CPU within minutes. So a calibration loop
runs just before and just after the suite, and the CPU time is also given in units of that loop:
compare those figures, and the counts, between runs and commits rather than raw seconds.
"""

from __future__ import annotations

import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from resource import RUSAGE_CHILDREN, getrusage

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION_LOOP = 5_000_000


def calibration_seconds(rounds: int = 3) -> float:
    """CPU seconds of a fixed pure-Python loop in a fresh interpreter (median of ``rounds``)."""
    code = f"s = 0\nfor i in range({CALIBRATION_LOOP}):\n    s += i\n"
    times = []
    for _ in range(rounds):
        before = getrusage(RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True)
        after = getrusage(RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main(selection: list[str]) -> int:
    calibration_before = calibration_seconds()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as `make test` runs it
    if "--dont-write-bytecode" in selection:
        selection = [s for s in selection if s != "--dont-write-bytecode"]
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        counts_file = Path(scratch) / "counts.jsonl"
        env["FINOPS_SUITE_COUNTS"] = str(counts_file)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), env.get("PYTHONPATH")]))
        before = getrusage(RUSAGE_CHILDREN)
        start = time.monotonic()
        completed = subprocess.run([str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "suite_counts", *selection],
                                   cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        after = getrusage(RUSAGE_CHILDREN)
        counts: collections.Counter[str] = collections.Counter()
        by_file: collections.Counter[str] = collections.Counter()
        if counts_file.exists():
            for line in counts_file.read_text(encoding="utf-8").splitlines():
                counts.update(json.loads(line)["counts"])
                by_file.update(json.loads(line)["byFile"])
    calibration_after = calibration_seconds()
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    calibration = (calibration_before + calibration_after) / 2
    print(completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else "(pytest printed nothing)")
    print(f"wall {wall:7.1f} s")
    print(f"cpu  {cpu:7.1f} s   (pytest and everything it started)")
    print(f"calibration loop {calibration_before:.2f} s before, {calibration_after:.2f} s after: "
          f"cpu = {cpu / calibration:.0f} loops, wall = {wall / calibration:.0f} loops")
    for name in ("program runs (mock engine)", "policy pack starts", "finops as its own process",
                 "chromium starts", "other processes"):
        print(f"  {name:32s} {counts.get(name, 0):4d}")
    print("the test files that start the most programs and packs:")
    for key, count in by_file.most_common(12):
        print(f"  {count:4d}  {key}")
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
