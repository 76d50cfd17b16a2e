#!/usr/bin/env python3
"""AnalyzeStack: the whole stack sent once, as the engine does at the end of a preview.

    .venv/bin/python benchmarks/bench_stack_analysis.py --resources 5000 --repeat 3

The same resources as bench_pack_overhead.py go in one AnalyzeStack request to our pack and to
the no-op pack (which has no stack policy: its time is the request's transport and decoding).
Prints each round's seconds and the median for both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "preview"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pack_overhead import resources  # noqa: E402
from finops_preview.analyzer import PolicyPackProcess, StackResource  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stack = [StackResource(t, f"r{i}", f"urn:pulumi:dev::bench::{t}::r{i}", props)
             for i, (t, props) in enumerate(resources(args.resources))]
    times: dict[str, list[float]] = {"ours": [], "noop": []}
    with PolicyPackProcess(ROOT / "policy_pack", stack="dev", project="bench") as ours, \
            PolicyPackProcess(ROOT / "benchmarks" / "noop_pack", stack="dev", project="bench") as noop:
        for pack in (ours, noop):
            pack.handshake()
        diagnostics = len(ours.analyze_stack(stack))  # warm-up
        for round_ in range(args.repeat):
            for name, pack in (("ours", ours), ("noop", noop)):
                start = time.perf_counter()
                pack.analyze_stack(stack)
                times[name].append(time.perf_counter() - start)
            print(f"round {round_ + 1}: ours {times['ours'][-1]:.2f} s, no-op {times['noop'][-1]:.2f} s")
    print(f"{args.resources} resources, {diagnostics} stack diagnostics: AnalyzeStack median ours "
          f"{statistics.median(times['ours']):.2f} s, no-op pack {statistics.median(times['noop']):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
