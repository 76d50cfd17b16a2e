#!/usr/bin/env python3
"""Measure `finops preview`: the dev stack of the reference platform and generated programs.

    make bench                                   # or:
    .venv/bin/python benchmarks/bench_preview.py --sizes 1000 --repeat 3

Prints wall time (median of --repeat runs) and the peak resident memory of the preview's
processes (the CLI, the program under mocks, the policy pack), and how they grow with size.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from generate_program import write_project

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB of the children, exit code) of one `finops preview` in a fresh process."""
    # A wrapper process per run, so RUSAGE_CHILDREN covers only this run's process tree.
    code = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        f"rc = subprocess.run({[sys.executable, '-m', 'finops_preview', *args]!r}, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL).returncode\n"
        "elapsed = time.perf_counter() - start\n"
        "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    seconds, maxrss_kib, rc = out.split()
    return float(seconds), int(maxrss_kib) / 1024, int(rc)


def measure(label: str, args: list[str], repeat: int) -> tuple[str, float, float, int]:
    runs = [_run(args) for _ in range(repeat)]
    return label, statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    rows = [measure("reference platform, stack dev", ["preview", "-s", "dev"], args.repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            project = write_project(size, Path(tmp) / f"bench-{size}")
            rows.append(measure(f"generated program, {size} resources",
                                ["preview", "-s", "dev", "-C", str(project), "--policy-pack",
                                 str(ROOT / "policy_pack")], args.repeat))
    print()
    print("| run | wall time (median) | peak RSS (largest process) | exit code |")
    print("|---|---|---|---|")
    for label, seconds, rss, rc in rows:
        print(f"| {label} | {seconds:.2f} s | {rss:.0f} MiB | {rc} |")


if __name__ == "__main__":
    main()
