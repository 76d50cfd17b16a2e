#!/usr/bin/env python3
"""The three ways to the same resources, timed in one run:

1. the program under plain Pulumi mocks (``pulumi.runtime.set_mocks``, outputs = inputs), the
   floor every offline tool pays;
2. ``finops preview`` of the program (mocks + recording + the policy pack over gRPC + estimate);
3. ``finops preview --from-plan`` of a ``pulumi preview --json`` document of the same
   resources (no program: the engine's plan is read, judged and priced).

    .venv/bin/python benchmarks/bench_engine_paths.py --size 1000 --repeat 3

Each measurement is a fresh process, end to end (interpreter start included), and the three are
interleaved per round so drift on a shared machine hits them alike; the median of the rounds
is reported, with the ratios to plain mocks: wall time, and CPU time (user + system of each
command's whole process tree), which stays meaningful when other work shares the machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from resource import RUSAGE_CHILDREN, getrusage

from finops_core.values import UNKNOWN_STRING as UNKNOWN
from generate_program import write_project

ROOT = Path(__file__).resolve().parents[1]

PLAIN_MOCKS = """
import runpy, sys
import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs)
    def call(self, args):
        return {}, []

pulumi.runtime.set_mocks(Mocks(), project="bench", stack="dev", preview=True)
pulumi.runtime.set_all_config({"aws:region": "eu-west-1"}, [])
sys.path.insert(0, sys.argv[1])
_sync_await(run_pulumi_func(lambda: runpy.run_path(sys.argv[1] + "/__main__.py", run_name="__main__")))
"""


def write_plan(project: Path, destination: Path) -> int:
    """A `pulumi preview --json` document (all creates) of the resources the program registers."""
    sys.path.insert(0, str(ROOT / "preview"))
    from finops_preview.runner import run_stack

    run = run_stack(project, "dev")
    stack_urn = "urn:pulumi:dev::bench::pulumi:pulumi:Stack::bench-dev"
    provider = f"urn:pulumi:dev::bench::pulumi:providers:aws::default_7_0_0::{UNKNOWN}"
    steps = [{"op": "create", "urn": stack_urn,
              "newState": {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}}]
    for resource in run.resources:
        steps.append({"op": "create", "urn": resource.urn, "provider": provider, "newState": {
            "urn": resource.urn, "custom": resource.custom, "type": resource.type, "inputs": resource.inputs,
            "parent": resource.parent or stack_urn, "provider": provider,
            "sourcePosition": f"project:///__main__.py#{resource.source_line},8"}})
    destination.write_text(json.dumps({"config": {"aws:region": "eu-west-1"}, "steps": steps,
                                       "changeSummary": {"create": len(steps)}}))
    return len(run.resources)


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the command and every process it waited for:
    the measure that holds on a machine shared with other work), exit status."""
    before = getrusage(RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = getrusage(RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="finops-bench-") as scratch:
        project = write_project(args.size, Path(scratch) / "program")
        plan = Path(scratch) / "plan.json"
        count = write_plan(project, plan)
        commands = {
            "plain mocks": [python, "-c", PLAIN_MOCKS, str(project)],
            "finops preview": [python, "-m", "finops_preview", "preview", "-C", str(project), "-s", "dev",
                               "--policy-pack", str(ROOT / "policy_pack"), "--json", "-o", str(Path(scratch) / "a")],
            "finops preview --from-plan": [python, "-m", "finops_preview", "preview", "--from-plan", str(plan),
                                           "-C", str(project), "--policy-pack", str(ROOT / "policy_pack"),
                                           "--json", "-o", str(Path(scratch) / "b")],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu_times: dict[str, list[float]] = {name: [] for name in commands}
        codes: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, command in commands.items():
                seconds, cpu, codes[name] = timed(command)
                times[name].append(seconds)
                cpu_times[name].append(cpu)
    print(f"{args.size}-resource program ({count} registrations), median of {args.repeat} interleaved rounds; "
          f"Python {platform.python_version()} on {platform.machine()}")
    for label, measured in (("wall", times), ("cpu", cpu_times)):
        medians = {name: statistics.median(values) for name, values in measured.items()}
        floor = medians["plain mocks"]
        for name, value in medians.items():
            rounds = ", ".join(f"{t:.2f}" for t in measured[name])
            print(f"  {label:4s} {name:28s} {value:6.2f} s  ({value / floor:.2f}x plain mocks; exit {codes[name]}; "
                  f"rounds {rounds})")


if __name__ == "__main__":
    main()
