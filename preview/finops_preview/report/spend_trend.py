"""``--months N``: monthly actuals of the N months ending at ``--month``, the month-over-month
change, a next-month forecast (a least-squares linear trend of those months, stated as such),
and the budget accuracy of past months whose estimate was recorded with ``--record DIR``.

Budget accuracy (a FinOps KPI) is |estimate - actual| / actual, per month: the estimate is the
``totalMonthlyUsd`` of the snapshot ``<DIR>/<YYYY-MM>.json`` that ``--record DIR`` wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, load_json

from .billing_sums import BillingSums, month_starts, next_month

METHOD = "linear trend (least squares) of the monthly actuals shown (from the export's first month)"


@dataclass
class TrendMonth:
    month: str                              # YYYY-MM
    actual: float
    by_team: dict[str, float]
    by_environment: dict[str, float]
    by_service: dict[str, float]
    change_percent: float | None = None     # against the month before, None for the first
    estimate: float | None = None           # recorded with --record
    accuracy_percent: float | None = None   # |estimate - actual| / actual

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month, "actualUsd": self.actual, "byTeam": self.by_team,
                "byEnvironment": self.by_environment, "byService": self.by_service,
                "changePercent": self.change_percent, "recordedEstimateUsd": self.estimate,
                "budgetAccuracyPercent": self.accuracy_percent}


@dataclass
class Trend:
    months: list[TrendMonth]
    forecast_month: str
    forecast: float | None
    forecast_by_environment: dict[str, float] = field(default_factory=dict)

    def forecast_dict(self) -> dict[str, Any]:
        return {"month": self.forecast_month, "actualUsd": self.forecast, "byEnvironment":
                self.forecast_by_environment, "method": METHOD}


def linear_next(values: list[float]) -> float | None:
    """The next value of the least-squares line through ``values`` (at least two), never below 0."""
    n = len(values)
    if n < 2:
        return None
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / sum((x - mean_x) ** 2 for x in range(n))
    return round(max(0.0, mean_y + slope * (n - mean_x)), 2)


def change_percent(now: float, before: float | None) -> float | None:
    if before is None or not before:
        return None
    return round(100 * (now - before) / before, 1)


def recorded_estimate(directory: Path | None, month: str) -> float | None:
    if directory is None:
        return None
    path = directory / f"{month}.json"
    if not path.is_file():
        return None
    data = load_json(path).data
    value = data.get("totalMonthlyUsd") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(path, "totalMonthlyUsd", value, "the estimate in USD a `finops report --record` wrote")
    return float(value)


def _sum(by: dict[str, dict[str, float]], outer: bool) -> dict[str, float]:
    sums: dict[str, float] = {}
    for key, inner in by.items():
        for sub, usd in inner.items():
            name = key if outer else sub
            sums[name] = sums.get(name, 0.0) + usd
    return {k: round(v, 2) for k, v in sorted(sums.items())}


def build_trend(sums: BillingSums, last_month: str, count: int, record_dir: Path | None) -> Trend:
    months: list[TrendMonth] = []
    for start in month_starts(last_month, count):
        end = next_month(start)
        by_team = sums.by("team", start, end)
        entry = TrendMonth(start[:7], sums.total(start, end), _sum(by_team, outer=False), _sum(by_team, outer=True),
                           _sum(sums.by("service", start, end), outer=False))
        entry.change_percent = change_percent(entry.actual, months[-1].actual if months else None)
        entry.estimate = recorded_estimate(record_dir, entry.month)
        if entry.estimate is not None and entry.actual:
            entry.accuracy_percent = round(100 * abs(entry.estimate - entry.actual) / entry.actual, 1)
        months.append(entry)
    # Months before the export's first day are not spend of $0: the line starts where the data does.
    first_day = min(sums.days, default="9999")
    known = [m for m in months if next_month(f"{m.month}-01") > first_day]
    environments = sorted({e for m in known for e in m.by_environment})
    per_env = {e: linear_next([m.by_environment.get(e, 0.0) for m in known]) for e in environments}
    return Trend(months, next_month(f"{last_month}-01")[:7], linear_next([m.actual for m in known]),
                 {e: v for e, v in per_env.items() if v is not None})


def write_record(directory: Path, month: str, report: dict[str, Any]) -> Path:
    """``--record DIR``: the month's estimate and actuals, to judge the estimate once the bill is in."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{month}.json"
    keep = ("reportDate", "actualsPeriod", "totalMonthlyUsd", "totalActualUsd", "budgets")
    path.write_text(json.dumps({"month": month, **{k: report.get(k) for k in keep}}, indent=2) + "\n",
                    encoding="utf-8")
    return path
