"""``finops report``: chargeback by team, service, environment, cost center and the rules' allocation
tags across stacks, with budgets, variance against actual spend, a forecast and unit costs."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import stat
import sys
from pathlib import Path

from finops_core.reading import ConfigError, is_a

from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ..foreign_errors import summarise_error
from ..output import write_output
from ..preview import read_usage_file
from ..report.actuals import Actuals, from_cost_explorer, from_file, last_full_month
from ..report.allocation import allocate, load_stacks
from ..report.billing_report import BillingOptions, add_billing_sections, billing_actuals
from ..report.billing_source import COSTS, is_billing_export
from ..report.render import RENDERERS
from ..report.states import read_states
from ..report.summary import summarize
from ..report.units import read_units
from ..report.variance import DEFAULT_THRESHOLD_PERCENT
from ..runner import ProgramError

NAME = "report"
HELP = "cost allocation by team, service, environment and cost center across stacks"
DESCRIPTION = ("Allocate every estimated dollar of the stacks to team, service, environment, cost center and the "
               "rules' allocation tags (Feature), with the share of each budget used and, with --actuals, the "
               "variance against the budget and the estimate, the forecast to month end and untagged spend.")


def add_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("--stacks", required=True, help="comma-separated stacks, e.g. dev,staging,prod")
    report.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    report.add_argument("--format", choices=sorted(RENDERERS), default="table")
    report.add_argument("-o", "--output", type=Path, metavar="FILE")
    report.add_argument("--actuals", metavar="ce|FILE|DIR|GLOB|athena://DB.TABLE?...",
                        help="actual spend: 'ce' asks AWS Cost Explorer (boto3); a FOCUS 1.0-1.2 or CUR 2.0 export "
                             "(.parquet/.csv file, folder or glob) is read by DuckDB; athena://<db>.<table>?"
                             "workgroup=...&output=s3://... runs the same SQL on Athena; a .json file holds saved "
                             "Cost Explorer responses")
    report.add_argument("--cost", choices=COSTS, default="effective",
                        help="billing exports: EffectiveCost (amortised, default) or BilledCost")
    report.add_argument("--months", type=int, default=1, metavar="N",
                        help="billing exports: the trend of the N months ending at --month, with a linear-trend "
                             "forecast of the next")
    report.add_argument("--period", choices=("month", "week"), default="month",
                        help="week adds the weekly team review: the 7 days to yesterday against the 7 before")
    report.add_argument("--phases", type=Path, metavar="FILE",
                        help="phase budgets (default: phases.yaml in the budgets directory, where present)")
    report.add_argument("--ledger", type=Path, metavar="FILE",
                        help="non-cloud spend for the phases, CSV: date,category,amountUsd")
    report.add_argument("--record", type=Path, metavar="DIR",
                        help="write this month's estimate and actuals to DIR/<YYYY-MM>.json, and read earlier "
                             "ones for the budget accuracy of the trend")
    report.add_argument("--month", metavar="YYYY-MM",
                        help="the month of actual spend (default: the last full one; the current month adds "
                             "a forecast to month end)")
    report.add_argument("--variance-threshold", type=float, default=DEFAULT_THRESHOLD_PERCENT, metavar="PCT",
                        help="flag actual spend above the budget or the estimate by more than this (default 10)")
    report.add_argument("--usage-file", type=Path, metavar="FILE",
                        help="usage amounts for usage-priced costs, as for finops preview (resources: {name: "
                             "{storageGb: N, monthlyRequests: N, ...} or {monthlyUsd: N}})")
    report.add_argument("--units", metavar="FILE|ENV=N,...",
                        help="a usage metric per environment (e.g. monthly active users) for unit costs")
    report.add_argument("--unit-metric", metavar="NAME", help="the name of that metric, e.g. 'monthly active user'")
    report.add_argument("--state", action="append", default=[], metavar="STACK=FILE",
                        help="price STACK from its deployed state (`pulumi stack export` JSON) instead of "
                             "running its program under mocks (repeatable)")
    report.add_argument("--budgets-dir", type=Path, metavar="DIR")


def month_bounds(month: str) -> tuple[str, str]:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ConfigError("--month", None, month, "a month such as 2026-10") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.isoformat(), end.isoformat()


def today() -> dt.date:
    """Today, or ``$FINOPS_TODAY`` (YYYY-MM-DD) to date a report as of another day."""
    override = os.environ.get("FINOPS_TODAY")
    if not override:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(override)
    except ValueError:
        raise ConfigError("$FINOPS_TODAY", None, override, "a date such as 2026-11-29") from None


def _actuals(args: argparse.Namespace, environments: list[str], day: dt.date) -> Actuals | None:
    if args.actuals == "ce":
        start, end = month_bounds(args.month) if args.month else last_full_month(day)
        try:
            return from_cost_explorer(environments, start, end, day)
        except ConfigError:
            raise
        except Exception as exc:  # boto3/botocore raise many kinds; each is one line for the user
            raise ConfigError("Cost Explorer (--actuals ce)", None, f"<{summarise_error(exc)}>",
                              "a reachable Cost Explorer with credentials (AWS_PROFILE, AWS_ENDPOINT_URL ...)",
                              ) from None
    if args.actuals:
        return from_file(Path(args.actuals))
    return None


def run(args: argparse.Namespace) -> int:
    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    try:
        day = today()
        if not math.isfinite(args.variance_threshold) or args.variance_threshold < 0:
            raise ConfigError("--variance-threshold", None, str(args.variance_threshold), "a percentage >= 0, e.g. 10")
        if args.budgets_dir is not None and not is_a(stat.S_ISDIR, args.budgets_dir, "--budgets-dir"):
            raise ConfigError(args.budgets_dir, None, "<no such directory>",
                              "an existing directory of budgets (<environment>.yaml) for --budgets-dir")
        usage = read_usage_file(args.usage_file)
        units = read_units(args.units, args.unit_metric) if args.units else None
        states = read_states(args.state, stacks, args.cwd)
        costs = load_stacks(args.cwd, stacks, args.budgets_dir, usage, states)
        if usage is not None:
            usage.check_names((row.urn, row.name) for stack in costs for row in stack.rows)
        options = BillingOptions(args.actuals if is_billing_export(args.actuals) else None, args.cost,
                                 args.month, args.months, args.period, args.phases,
                                 (args.budgets_dir or args.cwd / "budgets") / "phases.yaml", args.ledger, args.record)
        options.check()
        billing = billing_actuals(options, day)
        actuals = billing[1] if billing else _actuals(args, sorted({c.environment for c in costs}), day)
        report = summarize(allocate(costs), actuals, today=day, threshold=args.variance_threshold, units=units)
        add_billing_sections(report, options, billing[0] if billing else None, day)
        write_output(RENDERERS[args.format](report), args.output)
    except (ConfigError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
