"""``finops utilization``: how busy an environment's deployed resources are, and what to resize.

    finops utilization --environment dev                    # Tagging API + CloudWatch (boto3)
    finops utilization -s prod --state prod.json --format json -o utilization.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from finops_core.reading import ConfigError
from finops_core.rightsizing import pricer
from finops_core.rules import load_rules

from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ..output import check_output_target, write_output
from ..utilization_report import FORMATS, UtilizationReport, analyse, kpi
from ..utilization_sources import ENVIRONMENT_TAG, AwsReader, Deployed, from_state

NAME = "utilization"
HELP = "utilization of an environment's deployed resources from CloudWatch, with right-sizing and idle findings"
DESCRIPTION = ("Find one environment's deployed resources by their tags (Resource Groups Tagging API) or from a "
               "`pulumi stack export` (--state), read CloudWatch's hourly averages over --days, and report per "
               "resource the average and p95, a recommendation (downsize within the family to keep p95 at or "
               "under rules.yaml's utilization.target, stop or delete when idle, none) with its monthly saving, "
               "and the utilization KPI by team, service and environment. Unattached volumes and unassociated "
               "Elastic IPs count as unused; resources without an Environment tag are reported as unattributed.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("-s", "--stack", help="the stack (its environment is the stack name's, e.g. dev-alice -> dev)")
    which.add_argument("--environment", help="the environment (the Environment tag's value)")
    parser.add_argument("--state", type=Path, metavar="FILE",
                        help="a `pulumi stack export` of the stack: its resources instead of the Tagging API")
    parser.add_argument("--days", type=int, default=14, help="days of hourly averages to read (default 14)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table")
    parser.add_argument("--region", help="AWS region (default: the usual AWS configuration)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report here (default: stdout)")


def _environment(args: argparse.Namespace) -> str:
    rules = load_rules()
    if args.environment is not None:
        if args.environment not in rules.environments:
            raise ConfigError("--environment", None, args.environment,
                              "one of the environments in rules.yaml: " + ", ".join(rules.environments))
        return str(args.environment)
    env = rules.environment_of(None, args.stack)
    if env is None:
        raise ConfigError("--stack", None, args.stack, "a stack named after an environment: "
                          + ", ".join(rules.environments) + " (or dev-<name> ...)")
    return env.name


def run(args: argparse.Namespace) -> int:
    try:
        if not 1 <= args.days <= 455:   # CloudWatch keeps hourly data for 455 days
            raise ConfigError("--days", None, args.days, "a whole number of days from 1 to 455")
        check_output_target(args.output)
        environment = _environment(args)
        rules = load_rules()
        end = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
        start = end - dt.timedelta(days=args.days)
        notes: list[str] = []
        try:
            reader = AwsReader(args.region)
            resources: list[Deployed]
            if args.state is not None:
                resources = [r for r in from_state(args.state, environment)
                             if r.tags.get(ENVIRONMENT_TAG) == environment]
                source = f"{args.state} and CloudWatch"
            else:
                resources = reader.tagged(environment) + reader.untagged()
                source = "the Resource Groups Tagging API and CloudWatch"
            reader.read_metrics(resources, start, end)
        except ConfigError:
            raise
        except Exception as exc:  # boto3/botocore raise many kinds; each is one line for the user
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise ConfigError("AWS", None, f"<{type(exc).__name__}: {first}>",
                              "reachable AWS APIs (Tagging, EC2, RDS, CloudWatch) with credentials") from None
        findings = analyse(resources, rules, pricer(reader.region), args.days)
        if not findings:
            notes.append(f"no deployed resources found for {environment}")
        unmeasured = sum(1 for f in findings if f.recommendation.reason == "no metric data in the period")
        if unmeasured:
            notes.append(f"{unmeasured} resource(s) had no metric data in the period")
        report = UtilizationReport(environment, source, start, end, args.days, findings, kpi(findings, rules), notes)
        write_output(FORMATS[args.format](report), args.output)
    except (ConfigError, ValueError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
