"""Which billing reader an ``--actuals`` value names: Athena (``athena://``), a billing export on
this machine (a .parquet/.csv file, a folder or a glob) or neither (Cost Explorer, saved responses)."""

from __future__ import annotations

import datetime as dt

from finops_core.reading import ConfigError

from .actuals import Actuals
from .athena_query import SCHEME, read_athena
from .billing_sums import BillingSums, next_month
from .focus_export import looks_like_export, read_export

COSTS = ("effective", "billed")


def is_billing_export(value: str | None) -> bool:
    return bool(value) and (str(value).startswith(SCHEME) or looks_like_export(str(value)))


def read_billing(value: str, cost: str = "effective", start: str = "", end: str = "") -> BillingSums:
    """Daily sums over [start, end): on Athena for ``athena://``, else in DuckDB on this machine."""
    if value.startswith(SCHEME):
        return read_athena(value, cost, start, end)
    return read_export(value, cost, start, end)


def month_actuals(value: str, cost: str, month: str | None, today: dt.date) -> tuple[Actuals, dt.datetime]:
    """``finops actuals``: one month of the export (default: this one), and the moment it is as of."""
    first = f"{month}-01" if month else today.replace(day=1).isoformat()
    try:
        dt.date.fromisoformat(first)
    except ValueError:
        raise ConfigError("--month", None, month, "a month such as 2026-10") from None
    end = next_month(first)
    actuals = read_billing(value, cost, first, end).actuals(first, end, today)
    covered = dt.date.fromisoformat(actuals.period.partition(" to ")[2])
    return actuals, dt.datetime.combine(min(covered, today), dt.time(), dt.timezone.utc)
