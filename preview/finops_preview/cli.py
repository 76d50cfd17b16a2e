"""``finops``: the FinOps guardrails on the command line.

    finops preview -s dev                      # plan, violations, estimate vs budget
    finops preview -s dev --format markdown -o comment.md
    finops preview -s dev -j > main.json && finops preview -s dev --baseline main.json --max-increase-usd 50

Exit codes mirror ``pulumi preview``: 0 clean or advisory only, 1 a mandatory violation (or
a refused cost increase), 2 bad input (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from finops_core.reading import ConfigError

from .analyzer import PolicyPackError
from .formats import RENDERERS, render
from .preview import PreviewOptions, run_preview
from .report.actuals import from_cost_explorer, from_file, last_full_month
from .report.allocation import allocate, load_stacks
from .report.render import RENDERERS as REPORT_RENDERERS
from .report.summary import summarize
from .runner import ProgramError

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finops", description="FinOps guardrails for Pulumi.")
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser(
        "preview", help="run a stack's program and policy packs offline; print plan, violations and cost",
        description="Run a stack's program under Pulumi's mocks and its policy packs over the Analyzer "
                    "protocol, without cloud credentials or the Pulumi CLI.")
    preview.add_argument("-s", "--stack", required=True, help="the stack to preview (e.g. dev)")
    preview.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    preview.add_argument("--policy-pack", action="append", type=Path, default=[], dest="policy_packs",
                         metavar="DIR", help="a policy pack to run (repeatable; default: the project's policy_pack)")
    preview.add_argument("--policy-pack-config", type=Path, metavar="FILE",
                         help="policy pack config JSON, as for pulumi preview")
    preview.add_argument("--format", choices=sorted(RENDERERS), default="table", help="report format")
    preview.add_argument("-j", "--json", action="store_true", help="same as --format json")
    preview.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report here (default: stdout)")
    preview.add_argument("--usage-file", type=Path, metavar="FILE",
                         help="monthly amounts for usage-priced resources (resources: {name: {monthlyUsd: N}})")
    preview.add_argument("--baseline", type=Path, metavar="FILE",
                         help="JSON of an earlier preview (e.g. of main) to show the monthly cost difference")
    preview.add_argument("--max-increase-usd", type=float, metavar="USD",
                         help="with --baseline: fail when the monthly cost rises by more than this")
    preview.add_argument("--max-increase-percent", type=float, metavar="PCT",
                         help="with --baseline: fail when the monthly cost rises by more than this share")
    preview.add_argument("--rules", type=Path, metavar="FILE",
                         help="guardrail rules (default: $FINOPS_RULES_FILE, else the packaged rules.yaml)")
    preview.add_argument("--waivers", type=Path, metavar="FILE",
                         help="approved exceptions (default: the project's waivers.yaml)")
    preview.add_argument("--budgets-dir", type=Path, metavar="DIR",
                         help="directory of <environment>.yaml budgets (default: the project's budgets/)")
    report = commands.add_parser(
        "report", help="cost allocation by team, service, environment and cost center across stacks",
        description="Allocate every estimated dollar of the stacks to team, service, environment and cost "
                    "center, with the share of each budget used and, with --actuals, the variance.")
    report.add_argument("--stacks", required=True, help="comma-separated stacks, e.g. dev,staging,prod")
    report.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    report.add_argument("--format", choices=sorted(REPORT_RENDERERS), default="table")
    report.add_argument("-o", "--output", type=Path, metavar="FILE")
    report.add_argument("--actuals", metavar="ce|FILE",
                        help="actual spend: 'ce' asks AWS Cost Explorer (boto3), FILE holds saved responses")
    report.add_argument("--month", metavar="YYYY-MM", help="the month of actual spend (default: the last full one)")
    report.add_argument("--budgets-dir", type=Path, metavar="DIR")
    return parser


def _report(args: argparse.Namespace) -> int:
    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    try:
        costs = load_stacks(args.cwd, stacks, args.budgets_dir)
        actuals = None
        if args.actuals == "ce":
            start, end = month_bounds(args.month) if args.month else last_full_month()
            actuals = from_cost_explorer(sorted({c.environment for c in costs}), start, end)
        elif args.actuals:
            actuals = from_file(Path(args.actuals))
    except (ConfigError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        print(f"finops: error: Cost Explorer: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    text = REPORT_RENDERERS[args.format](summarize(allocate(costs), actuals))
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def month_bounds(month: str) -> tuple[str, str]:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ConfigError("--month", None, month, "a month such as 2026-10") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.isoformat(), end.isoformat()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "report":
        return _report(args)
    fmt = "json" if args.json else args.format
    if (args.max_increase_usd is not None or args.max_increase_percent is not None) and args.baseline is None:
        print("finops: --max-increase-usd/--max-increase-percent need --baseline FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.rules is not None:
        # The program under mocks and the policy packs are child processes: they read it from here.
        os.environ["FINOPS_RULES_FILE"] = str(args.rules.resolve())
    options = PreviewOptions(
        cwd=args.cwd, stack=args.stack, policy_packs=args.policy_packs, policy_pack_config=args.policy_pack_config,
        usage_file=args.usage_file, baseline=args.baseline, max_increase_usd=args.max_increase_usd,
        max_increase_percent=args.max_increase_percent, budgets_dir=args.budgets_dir, waivers_file=args.waivers,
    )
    try:
        result = run_preview(options)
    except (ConfigError, PolicyPackError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = render(result, fmt)
    if args.output is not None:
        args.output.write_text(report, encoding="utf-8")
        if fmt != "table":
            print(render(result, "table").rstrip().rsplit("\n", 1)[-1].strip(), file=sys.stderr)
    else:
        sys.stdout.write(report)
    return EXIT_VIOLATION if result.failed else EXIT_OK


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
