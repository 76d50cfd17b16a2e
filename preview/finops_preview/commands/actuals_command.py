"""``finops actuals``: a dated spend snapshot for the spending-limit policies.

    finops actuals -o SPEND.json                        # month to date from Cost Explorer (boto3)
    finops actuals --actuals saved-ce.json -o SPEND.json   # from saved GetCostAndUsage responses
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from finops_core.reading import ConfigError
from finops_core.waivers import today

from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ..foreign_errors import summarise_error
from ..output import write_output
from ..report.actuals import from_cost_explorer, from_file
from ..report.billing_source import COSTS, is_billing_export, month_actuals
from ..spend_snapshots import snapshot_of

NAME = "actuals"
HELP = "a dated snapshot of month-to-date spend by environment and team, for the spending-limit policies"
DESCRIPTION = ("Fetch this month's actual spend (and Cost Explorer's month-end forecast) by environment and team, "
               "untagged spend included, and write it as a small dated JSON file that `finops preview --spend` "
               "and the pack's finops-spending-limits policies read.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actuals", metavar="FILE|DIR|GLOB|athena://...",
                        help="saved GetCostAndUsage responses (.json), or a FOCUS/CUR 2.0 billing export "
                             "(.parquet/.csv file, folder, glob; read by DuckDB) or athena://<db>.<table>?..., "
                             "instead of asking Cost Explorer")
    parser.add_argument("--cost", choices=COSTS, default="effective",
                        help="billing exports: EffectiveCost (amortised, default) or BilledCost")
    parser.add_argument("--month", metavar="YYYY-MM",
                        help="billing exports: the month to snapshot (default: the current month)")
    parser.add_argument("--environments", default="dev,staging,prod",
                        help="environments to ask Cost Explorer's forecast for (default dev,staging,prod)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the snapshot here (default: stdout)")


def run(args: argparse.Namespace) -> int:
    try:
        day = today()
        if is_billing_export(args.actuals):
            actuals, taken_at = month_actuals(args.actuals, args.cost, args.month, day)
        elif args.actuals is not None:
            actuals = from_file(Path(args.actuals))
            # Saved responses are as of the end of the period they cover.
            covered = actuals.period.partition(" to ")[2] or day.isoformat()
            taken_at = dt.datetime.combine(dt.date.fromisoformat(covered), dt.time(), dt.timezone.utc)
        else:
            start = day.replace(day=1)
            month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            environments = [e.strip() for e in args.environments.split(",") if e.strip()]
            try:
                actuals = from_cost_explorer(environments, start.isoformat(), month_end.isoformat(), day)
            except ConfigError:
                raise
            except Exception as exc:  # boto3/botocore raise many kinds; each is one line for the user
                raise ConfigError("Cost Explorer", None, f"<{summarise_error(exc)}>",
                                  "a reachable Cost Explorer with credentials") from None
            taken_at = dt.datetime.now(dt.timezone.utc)
        snapshot = snapshot_of(actuals, taken_at)
        write_output(json.dumps(snapshot.as_json(), indent=2, sort_keys=True) + "\n", args.output)
    except (ConfigError, ValueError) as exc:
        print(f"finops: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
