"""The daily sums a billing query returns, and the views the report takes of them: a month's
actuals (by environment and team, service and the other allocation tags), any span of days by
team or service (the weekly review), and spend per Phase tag since a date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .actuals import Actuals
from .billing_sql import UNTAGGED


@dataclass(frozen=True)
class DaySum:
    day: str            # YYYY-MM-DD
    environment: str
    dimension: str      # team, service, cost_center, phase, owner, feature
    value: str
    usd: float


@dataclass
class BillingSums:
    source: str
    cost: str                               # "effective" or "billed"
    rows: list[DaySum]
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> list[str]:
        return sorted({r.day for r in self.rows})

    def by(self, dimension: str, start: str, end: str) -> dict[str, dict[str, float]]:
        """environment -> value -> USD over the days [start, end), rounded to the cent."""
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in self.rows:
            if r.dimension == dimension and start <= r.day < end:
                sums[r.environment][r.value] += r.usd
        return {e: {k: round(v, 2) for k, v in sorted(vals.items())} for e, vals in sorted(sums.items())}

    def across_environments(self, dimension: str, start: str, end: str) -> dict[str, float]:
        """value -> USD over [start, end), all environments together."""
        sums: dict[str, float] = defaultdict(float)
        for r in self.rows:
            if r.dimension == dimension and start <= r.day < end:
                sums[r.value] += r.usd
        return {k: round(v, 2) for k, v in sorted(sums.items())}

    def total(self, start: str, end: str) -> float:
        return round(sum(r.usd for r in self.rows if r.dimension == "team" and start <= r.day < end), 2)

    def actuals(self, start: str, end: str, today: dt.date | None = None) -> Actuals:
        """The month (or any span) as the report's :class:`Actuals`: untagged spend stays visible."""
        # The current month ends today (a charge dated later is not spend yet) or at the last day read.
        until = end if today is None or end <= today.isoformat() else max(start, today.isoformat())
        days = [d for d in self.days if start <= d < until]
        last = (dt.date.fromisoformat(days[-1]) + dt.timedelta(days=1)).isoformat() if days else start
        period_end = end if until == end else min(until, last)
        result = Actuals(f"{start} to {period_end}", self.source, self.by("team", start, until),
                         self.by("service", start, until), all_environments=True, notes=list(self.notes))
        if not days:
            result.notes.append(f"{self.source}: no charges between {start} and {end}")
        elif period_end < end and period_end > start:
            # The current month: to month end at the daily rate of the days so far.
            elapsed = (dt.date.fromisoformat(period_end) - dt.date.fromisoformat(start)).days
            length = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
            result.forecast = {env: round((result.environment_total(env) or 0.0) * length / elapsed, 2)
                               for env in result.environments}
            result.notes.append(f"{self.source}: month-end forecast = spend of the {elapsed} days so far x "
                                f"{length}/{elapsed} (the daily run rate)")
        return result


def month_starts(last_month: str, count: int) -> list[str]:
    """The first days of the ``count`` months that end with ``last_month`` (YYYY-MM), oldest first."""
    year, month = (int(p) for p in last_month.split("-"))
    starts = []
    for _ in range(count):
        starts.append(f"{year:04d}-{month:02d}-01")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def next_month(start: str) -> str:
    day = dt.date.fromisoformat(start)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1).isoformat()


def tagged_share(by_team: dict[str, dict[str, float]]) -> float | None:
    """The visibility KPI: the share of spend carrying both the Environment and the Team tag."""
    total = sum(v for teams in by_team.values() for v in teams.values())
    tagged = sum(v for e, teams in by_team.items() if e != UNTAGGED for t, v in teams.items() if t != UNTAGGED)
    return round(100 * tagged / total, 1) if total else None


def collapse(values: Iterable[tuple[str, float]]) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for key, usd in values:
        sums[key] += usd
    return {k: round(v, 2) for k, v in sorted(sums.items())}
