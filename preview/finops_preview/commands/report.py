"""``finops report``: chargeback by team, service, environment and cost center across stacks."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from finops_core.reading import ConfigError

from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ..output import write_output
from ..report.actuals import from_cost_explorer, from_file, last_full_month
from ..report.allocation import allocate, load_stacks
from ..report.render import RENDERERS
from ..report.summary import summarize
from ..runner import ProgramError

NAME = "report"
HELP = "cost allocation by team, service, environment and cost center across stacks"
DESCRIPTION = ("Allocate every estimated dollar of the stacks to team, service, environment and cost center, "
               "with the share of each budget used and, with --actuals, the variance.")


def add_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("--stacks", required=True, help="comma-separated stacks, e.g. dev,staging,prod")
    report.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    report.add_argument("--format", choices=sorted(RENDERERS), default="table")
    report.add_argument("-o", "--output", type=Path, metavar="FILE")
    report.add_argument("--actuals", metavar="ce|FILE",
                        help="actual spend: 'ce' asks AWS Cost Explorer (boto3), FILE holds saved responses")
    report.add_argument("--month", metavar="YYYY-MM", help="the month of actual spend (default: the last full one)")
    report.add_argument("--budgets-dir", type=Path, metavar="DIR")


def month_bounds(month: str) -> tuple[str, str]:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ConfigError("--month", None, month, "a month such as 2026-10") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.isoformat(), end.isoformat()


def run(args: argparse.Namespace) -> int:
    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    try:
        costs = load_stacks(args.cwd, stacks, args.budgets_dir)
        actuals = None
        if args.actuals == "ce":
            start, end = month_bounds(args.month) if args.month else last_full_month()
            try:
                actuals = from_cost_explorer(sorted({c.environment for c in costs}), start, end)
            except Exception as exc:  # boto3/botocore raise many kinds; each is one line for the user
                raise ConfigError("Cost Explorer", None, f"<{type(exc).__name__}: {exc}>", "a reachable "
                                  "Cost Explorer with credentials") from None
        elif args.actuals:
            actuals = from_file(Path(args.actuals))
        write_output(RENDERERS[args.format](summarize(allocate(costs), actuals)), args.output)
    except (ConfigError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
