"""Phase budgets (``budgets/phases.yaml``), their burn rate and runway.

    phases:
      mvp:
        start: 2026-09-01
        end: 2027-02-28
        budgetUsd: 50000
        allocation: {team: 60, infrastructure: 20, tools: 10, contingency: 10}   # percent of budgetUsd

Infrastructure spend is the actual spend tagged ``Phase=<name>`` from the phase's start to the
end of the actuals read; team, tools and other non-cloud lines come from ``--ledger FILE`` (CSV:
``date,category,amountUsd``). The burn rate is that spend per month elapsed; the runway is what
is left of the allocation at that rate; the projection is the spend at that rate to the phase's end.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, load_yaml, require_mapping

from .billing_sums import BillingSums

INFRASTRUCTURE = "infrastructure"
CONTINGENCY = "contingency"
LEDGER_COLUMNS = ("date", "category", "amountUsd")


@dataclass(frozen=True)
class Phase:
    name: str
    start: dt.date
    end: dt.date            # the phase's last day
    budget: float
    allocation: dict[str, float]    # category -> percent of the budget


@dataclass
class CategoryBurn:
    budget: float
    spent: float
    burn: float | None
    runway: float | None
    projected: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"budgetUsd": self.budget, "spentUsd": self.spent, "burnRateUsdPerMonth": self.burn,
                "runwayMonths": self.runway, "projectedUsd": self.projected,
                "projectedVsBudgetUsd": None if self.projected is None else round(self.projected - self.budget, 2)}


@dataclass
class PhaseStatus:
    phase: Phase
    as_of: dt.date
    months_elapsed: float
    months_left: float
    categories: dict[str, CategoryBurn] = field(default_factory=dict)
    contingency_left: float | None = None

    def as_dict(self) -> dict[str, Any]:
        total = _burn(self.phase.budget, sum(c.spent for c in self.categories.values()),
                      self.months_elapsed, self.months_left)
        return {"start": self.phase.start.isoformat(), "end": self.phase.end.isoformat(),
                "budgetUsd": self.phase.budget, "allocationPercent": self.phase.allocation,
                "asOf": self.as_of.isoformat(), "monthsElapsed": self.months_elapsed,
                "monthsLeft": self.months_left, **{k: v.as_dict() for k, v in self.categories.items()},
                "total": total.as_dict(), "contingencyLeftUsd": self.contingency_left}


def _date(doc: Any, path: tuple[str, ...], value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise doc.error(path, value, "a date written YYYY-MM-DD") from None


def load_phases(path: Path) -> list[Phase]:
    doc = load_yaml(path)
    top = require_mapping(doc, doc.data, ())
    phases = []
    for name, raw in require_mapping(doc, top.get("phases"), ("phases",)).items():
        where = ("phases", str(name))
        entry = require_mapping(doc, raw, where)
        for key in entry:
            if key not in ("start", "end", "budgetUsd", "allocation"):
                raise doc.error((*where, key), key, "one of start, end, budgetUsd, allocation")
        start = _date(doc, (*where, "start"), entry.get("start"))
        end = _date(doc, (*where, "end"), entry.get("end"))
        if end < start:
            raise doc.error((*where, "end"), end.isoformat(), f"a day on or after the start {start}")
        budget = doc.number((*where, "budgetUsd"), entry.get("budgetUsd"), "a budget in USD greater than 0")
        allocation = {str(k): doc.number((*where, "allocation", k), v, "a percentage of budgetUsd")
                      for k, v in require_mapping(doc, entry.get("allocation", {}), (*where, "allocation")).items()}
        if sum(allocation.values()) > 100.0001:
            raise doc.error((*where, "allocation"), f"{sum(allocation.values()):g} %", "percentages adding up to 100")
        if budget <= 0:
            raise doc.error((*where, "budgetUsd"), budget, "a budget in USD greater than 0")
        phases.append(Phase(str(name), start, end, budget, allocation))
    return phases


def read_ledger(path: Path) -> list[tuple[dt.date, str, float]]:
    """``--ledger FILE``: non-cloud spend, one ``date,category,amountUsd`` line each."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, None, f"<{exc.strerror}>", "a CSV file: date,category,amountUsd") from None
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != LEDGER_COLUMNS:
        raise ConfigError(path, None, ",".join(reader.fieldnames or []), "the header date,category,amountUsd", 1)
    lines = []
    for number, row in enumerate(reader, start=2):
        try:
            day = dt.date.fromisoformat(row["date"])
            amount = float(row["amountUsd"])
        except (TypeError, ValueError):
            raise ConfigError(path, None, ",".join(str(v) for v in row.values()),
                              "a date (YYYY-MM-DD), a category and an amount in USD", number) from None
        if not row["category"]:
            raise ConfigError(path, "category", "<empty>", "a category such as team or tools", number)
        lines.append((day, row["category"], amount))
    return lines


def months_between(start: dt.date, end: dt.date) -> float:
    """Calendar months from ``start`` to ``end`` (exclusive), partial months by their days."""
    if end <= start:
        return 0.0
    months = 0.0
    day = start
    while day < end:
        days = calendar.monthrange(day.year, day.month)[1]
        month_end = (day.replace(day=1) + dt.timedelta(days=days))
        stop = min(end, month_end)
        months += (stop - day).days / days
        day = stop
    return round(months, 3)


def _burn(budget: float, spent: float, elapsed: float, left: float) -> CategoryBurn:
    burn = round(spent / elapsed, 2) if elapsed else None
    runway = None if not burn else round(max(0.0, budget - spent) / burn, 1)
    projected = None if burn is None else round(spent + burn * left, 2)
    return CategoryBurn(round(budget, 2), round(spent, 2), burn, runway, projected)


def phase_status(phase: Phase, sums: BillingSums | None, ledger: list[tuple[dt.date, str, float]],
                 until: dt.date) -> PhaseStatus:
    """The phase as of ``until`` (exclusive: the end of the actuals read, never past the phase)."""
    stop = min(until, phase.end + dt.timedelta(days=1))
    elapsed = months_between(phase.start, stop)
    left = months_between(stop, phase.end + dt.timedelta(days=1))
    spent: dict[str, float] = defaultdict(float)
    if sums is not None:
        spent[INFRASTRUCTURE] += sums.across_environments("phase", phase.start.isoformat(),
                                                         stop.isoformat()).get(phase.name, 0.0)
    for day, category, amount in ledger:
        if phase.start <= day < stop:
            spent[category] += amount
    status = PhaseStatus(phase, stop, elapsed, left)
    for category in sorted(set(phase.allocation) | set(spent), key=lambda c: (c != INFRASTRUCTURE, c)):
        if category == CONTINGENCY:
            continue
        budget = phase.budget * phase.allocation.get(category, 0.0) / 100
        status.categories[category] = _burn(budget, spent.get(category, 0.0), elapsed, left)
    if CONTINGENCY in phase.allocation:
        overrun = sum(max(0.0, (c.projected or c.spent) - c.budget) for c in status.categories.values())
        status.contingency_left = round(phase.budget * phase.allocation[CONTINGENCY] / 100
                                        - spent.get(CONTINGENCY, 0.0) - overrun, 2)
    return status
