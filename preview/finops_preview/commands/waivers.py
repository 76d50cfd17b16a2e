"""``finops waivers export``: the approvals of waivers.yaml as Pulumi's native policy exceptions.

The stack is previewed without waivers (a program under mocks, or ``--from-plan`` /
``--from-state``); for every violation an unexpired waiver covers, an exception is written in
Pulumi's shape (policy pack, reason, one match entry per resource listing its policies and its
URN, expiry), ready for the ``exceptions`` of a policy pack config file (``finops preview`` and
``pulumi preview --policy-pack-config`` read it there) or for Pulumi Cloud's exception API. A
team that moves to Pulumi Cloud keeps its approvals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, load_yaml, resolved
from finops_core.waivers import Waiver, WaiverSet, parse_waivers, today

from ..analyzer import PolicyPackError
from ..engine_values import split_urn
from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ..formats.common import count
from ..interruption import interruptible
from ..model import PreviewResult, Violation
from ..output import write_output
from ..preview import PreviewOptions, run_preview
from ..runner import DEFAULT_TIMEOUT_S, ProgramError

NAME = "waivers"
HELP = "waivers.yaml as Pulumi policy exceptions (finops waivers export)"
DESCRIPTION = ("Export the violations that waivers.yaml approves as Pulumi's native policy exceptions "
               "(policy pack, policies, resource URNs, reason, expiry).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the policy exceptions the waivers amount to",
                                description=DESCRIPTION)
    export.add_argument("-s", "--stack", default="", help="the stack (e.g. prod); from the file with --from-*")
    export.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    export.add_argument("--policy-pack", action="append", type=Path, default=[], dest="policy_packs", metavar="DIR")
    export.add_argument("--policy-pack-config", type=Path, metavar="FILE")
    export.add_argument("--waivers", type=Path, metavar="FILE", help="default: the project's waivers.yaml")
    export.add_argument("--budgets-dir", type=Path, metavar="DIR")
    source = export.add_mutually_exclusive_group()
    source.add_argument("--from-plan", type=Path, metavar="FILE", help="a `pulumi preview --json` file")
    source.add_argument("--from-state", type=Path, metavar="FILE", help="a `pulumi stack export` file")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")


def _expires_at(waiver: Waiver) -> str:
    # A waiver holds through its whole expiry day (UTC): the exception ends when the next one starts.
    return f"{(waiver.expires + dt.timedelta(days=1)).isoformat()}T00:00:00Z"


def _target(violation: Violation, result: PreviewResult) -> tuple[str, str, str]:
    """(URN, type, name) a violation is reported against; a stack policy's is the stack's own."""
    if violation.urn:
        _, _, resource_type, name = split_urn(violation.urn)
        return violation.urn, resource_type, name
    name = f"{result.project}-{result.stack}"
    return f"urn:pulumi:{result.stack}::{result.project}::pulumi:pulumi:Stack::{name}", "pulumi:pulumi:Stack", name


def exceptions_for(result: PreviewResult, waivers: WaiverSet, on: dt.date) -> list[dict[str, Any]]:
    """One exception per (pack, waiver): its reason and expiry, one match entry per resource."""
    grouped: dict[tuple[str, int], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    by_index = {w.index: w for w in waivers.waivers}
    for violation in result.violations:
        urn, resource_type, name = _target(violation, result)
        waiver = waivers.find(violation.policy, result.stack, resource_type, name)
        if waiver is None or waiver.expired(on):
            continue
        grouped[(violation.pack, waiver.index)][urn].add(violation.policy)
    exceptions = []
    for (pack, index), targets in sorted(grouped.items()):
        waiver = by_index[index]
        exceptions.append({
            "policyPack": pack,
            "reason": f"{waiver.reason} ({waiver.describe()} in {waivers.source})",
            "match": [{"policies": sorted(policies), "targets": [urn]} for urn, policies in sorted(targets.items())],
            "expiresAt": _expires_at(waiver),
        })
    return exceptions


@interruptible
def run(args: argparse.Namespace) -> int:
    try:
        cwd = resolved(Path(args.cwd), "--cwd")
        waivers_path = Path(args.waivers or cwd / "waivers.yaml")
        waivers = parse_waivers(load_yaml(waivers_path))
        with tempfile.TemporaryDirectory(prefix="finops-waivers-") as scratch:
            # Judged without waivers, so every violation keeps its own policy.
            (Path(scratch) / "no-waivers.yaml").write_text("waivers: []\n", encoding="utf-8")
            options = PreviewOptions(
                cwd=cwd, stack=args.stack, policy_packs=args.policy_packs,
                policy_pack_config=args.policy_pack_config, budgets_dir=args.budgets_dir,
                waivers_file=Path(scratch) / "no-waivers.yaml", from_plan=args.from_plan,
                from_state=args.from_state, timeout=DEFAULT_TIMEOUT_S)
            result = run_preview(options)
        exceptions = exceptions_for(result, waivers, today())
        write_output(json.dumps({"exceptions": exceptions}, indent=2) + "\n", args.output)
    except (ConfigError, PolicyPackError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"finops: {count(len(exceptions), 'policy exception')} from {waivers_path}", file=sys.stderr)
    return EXIT_OK
