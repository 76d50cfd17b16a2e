"""``finops waivers export``: the approvals of waivers.yaml as Pulumi's native policy exceptions.

The stack is previewed without waivers (a program under mocks, or ``--from-plan`` /
``--from-state``); for every violation an unexpired waiver covers (and whose approvals satisfy
its approval tier), an exception is written in the shape Pulumi documents for a local policy
pack config file: ``{"exceptions": {"<ID>": {"reason": ..., "match": [{"policies": [...],
"targets": [URN, ...]}]}}}``, keyed by the waiver's ticket, one match entry per resource. The
reason carries the waiver's reason, ticket, approvals and expiry, so the approvals travel with
it (``finops preview`` and ``pulumi preview --policy-pack-config`` read the file; Pulumi Cloud's
exception API takes the same reason and match). A local exception has no expiry of its own in
Pulumi's documentation: only waivers unexpired on the day of the export are written.
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
from finops_core.waivers import BUDGET_POLICIES, Waiver, WaiverSet, parse_waivers, today

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


def _reason(waiver: Waiver, source: str) -> str:
    approvals = ", ".join(a.describe() for a in waiver.approvals)
    return (f"{waiver.reason} ({waiver.ticket}: approved by {approvals}; until {waiver.expires.isoformat()}; "
            f"waivers.yaml {source}{f' line {waiver.line}' if waiver.line is not None else ''})")


def _lets_through(violation: Violation, result: PreviewResult) -> float:
    """What a waiver of ``violation`` lets through a month, as the pack judges it: the resource's
    estimate, or for the budget policy the amount over the budget."""
    if violation.urn:
        return next((r.monthly_usd or 0.0 for r in result.resources if r.urn == violation.urn), 0.0)
    if violation.policy in BUDGET_POLICIES and result.budget_usd:
        return max(0.0, round(result.total_usd - result.budget_usd, 2))
    return 0.0


def _target(violation: Violation, result: PreviewResult) -> tuple[str, str, str]:
    """(URN, type, name) a violation is reported against; a stack policy's is the stack's own."""
    if violation.urn:
        _, _, resource_type, name = split_urn(violation.urn)
        return violation.urn, resource_type, name
    name = f"{result.project}-{result.stack}"
    return f"urn:pulumi:{result.stack}::{result.project}::pulumi:pulumi:Stack::{name}", "pulumi:pulumi:Stack", name


def exceptions_for(result: PreviewResult, waivers: WaiverSet, on: dt.date) -> dict[str, dict[str, Any]]:
    """One exception per waiver (per pack, where violations come from several), keyed by the
    waiver's ticket: its reason, one match entry per resource."""
    grouped: dict[tuple[str, int], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    by_index = {w.index: w for w in waivers.waivers}
    for violation in result.violations:
        urn, resource_type, name = _target(violation, result)
        waiver = waivers.find(violation.policy, result.stack, resource_type, name)
        if waiver is None or waiver.expired(on) or \
                waivers.approval_gap(waiver, _lets_through(violation, result)) is not None:
            continue
        grouped[(violation.pack, waiver.index)][urn].add(violation.policy)
    packs = {pack for pack, _ in grouped}
    exceptions: dict[str, dict[str, Any]] = {}
    for (pack, index), targets in sorted(grouped.items()):
        waiver = by_index[index]
        key = waiver.ticket if len(packs) == 1 else f"{waiver.ticket}-{pack}"
        while key in exceptions:  # two waivers under one ticket
            key += "+"
        exceptions[key] = {
            "reason": _reason(waiver, waivers.source),
            "match": [{"policies": sorted(policies), "targets": [urn]} for urn, policies in sorted(targets.items())],
        }
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
