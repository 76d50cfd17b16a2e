"""``finops preview``: run a stack's program and policy packs offline; plan, violations, cost."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from finops_core.reading import ConfigError, parse_finite_number, resolved

from ..analyzer import PolicyPackError
from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATION
from ..formats import RENDERERS, render
from ..formats.common import summary_line
from ..interruption import interruptible
from ..output import check_output_target, write_output
from ..preview import PreviewOptions, run_preview
from ..runner import DEFAULT_TIMEOUT_S, ProgramError

NAME = "preview"
HELP = "run a stack's program and policy packs offline; print plan, violations and cost"
DESCRIPTION = ("Run a stack's program under Pulumi's mocks and its policy packs over the Analyzer protocol, "
               "without cloud credentials or the Pulumi CLI.")


def add_arguments(preview: argparse.ArgumentParser) -> None:
    preview.add_argument("-s", "--stack", default="",
                         help="the stack to preview (e.g. dev); with --from-plan/--from-state, taken from the file")
    preview.add_argument("-C", "--cwd", type=Path, default=Path("."), help="the Pulumi project directory")
    preview.add_argument("--policy-pack", action="append", type=Path, default=[], dest="policy_packs",
                         metavar="DIR", help="a policy pack to run (repeatable; default: the project's policy_pack)")
    preview.add_argument("--policy-pack-config", type=Path, metavar="FILE",
                         help="policy pack config JSON, as for pulumi preview")
    preview.add_argument("--format", choices=sorted(RENDERERS), default="table", help="report format")
    preview.add_argument("-j", "--json", action="store_true", help="same as --format json")
    preview.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report here (default: stdout)")
    preview.add_argument("--report", action="append", default=[], metavar="FORMAT=FILE", dest="reports",
                         help="also write the same preview in another format (repeatable), e.g. --report "
                              "sarif=finops.sarif --report junit=finops.xml: one run for every report CI keeps")
    preview.add_argument("--usage-file", type=Path, metavar="FILE",
                         help="usage amounts for usage-priced costs (resources: {name: {storageGb: N, "
                              "monthlyRequests: N, ...} or {monthlyUsd: N}})")
    preview.add_argument("--spend", type=Path, metavar="FILE",
                         help="a spend snapshot (finops actuals -o SPEND.json): judge the change against what each "
                              "team and the environment already spend this month")
    preview.add_argument("--price-book", type=Path, metavar="FILE",
                         help="discounts (enterprise agreement, Savings Plans) applied to the estimate and shown "
                              "beside the list price (default: $FINOPS_PRICE_BOOK)")
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
    source = preview.add_mutually_exclusive_group()
    source.add_argument("--from-plan", type=Path, metavar="FILE",
                        help="judge and price the plan of `pulumi preview --json` instead of running the program")
    source.add_argument("--from-state", type=Path, metavar="FILE",
                        help="judge and price the deployed resources of `pulumi stack export`")
    preview.add_argument("--timeout", type=str, default=str(DEFAULT_TIMEOUT_S), metavar="SECONDS",
                         help=f"stop a program still running after this long (default {DEFAULT_TIMEOUT_S:g})")


def _reports(specs: list[str]) -> list[tuple[str, Path]]:
    """``--report FORMAT=FILE`` options as (format, file); a bad one is a ConfigError."""
    reports = []
    for spec in specs:
        report_format, _, file = spec.partition("=")
        if report_format not in RENDERERS or not file:
            raise ConfigError("--report", None, spec, f"FORMAT=FILE with FORMAT one of {', '.join(sorted(RENDERERS))}")
        reports.append((report_format, Path(file)))
    return reports


@interruptible
def run(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format
    if ((args.max_increase_usd is not None or args.max_increase_percent is not None) and args.baseline is None
            and args.from_plan is None):
        print("finops: --max-increase-usd/--max-increase-percent need --baseline FILE (or --from-plan FILE)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        reports = _reports(args.reports)
        timeout = parse_finite_number(args.timeout, "--timeout", expected="a number of seconds > 0")
        if timeout <= 0:
            raise ConfigError("--timeout", None, args.timeout, "a number of seconds > 0")
        if args.rules is not None:
            # The program under mocks and the policy packs are child processes: they read it from here.
            os.environ["FINOPS_RULES_FILE"] = str(resolved(args.rules, "--rules"))
    except ConfigError as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = PreviewOptions(
        cwd=args.cwd, stack=args.stack, policy_packs=args.policy_packs, policy_pack_config=args.policy_pack_config,
        usage_file=args.usage_file, baseline=args.baseline, max_increase_usd=args.max_increase_usd,
        max_increase_percent=args.max_increase_percent, budgets_dir=args.budgets_dir, waivers_file=args.waivers,
        from_plan=args.from_plan, from_state=args.from_state, timeout=timeout, price_book=args.price_book,
        spend=args.spend,
    )
    try:
        check_output_target(args.output)  # before a program runs for nothing
        for _, file in reports:
            check_output_target(file, "--report")
        result = run_preview(options)
        for report_format, file in reports:
            write_output(render(result, report_format), file, "--report")
        write_output(render(result, fmt), args.output)
    except (ConfigError, PolicyPackError, ProgramError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.output is not None and fmt != "table":
        print(summary_line(result), file=sys.stderr)
    return EXIT_VIOLATION if result.failed else EXIT_OK
