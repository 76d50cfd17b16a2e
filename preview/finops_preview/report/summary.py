"""The numbers every report format shows: allocation, budget use, variance, forecast, unit costs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from finops_core import load_prices
from finops_core.rules import load_rules

from ..formats.common import count
from .actuals import Actuals
from .allocation import UNTAGGED, Allocation, StackCosts
from .units import UnitMetric
from .variance import (
    DEFAULT_THRESHOLD_PERCENT,
    NEAR_BUDGET,
    NO_DATA,
    OVERSPEND,
    WITHIN,
    exceeds,
    variance_percent,
)

UNALLOCATED = "unallocated"      # actual spend without the tag the line is about


@dataclass
class BudgetLine:
    environment: str
    team: str                 # "" for the environment as a whole
    budget: float | None
    estimate: float
    actual: float | None
    forecast: float | None = None
    threshold: float = DEFAULT_THRESHOLD_PERCENT
    near_percent: float = 90.0

    @property
    def untagged(self) -> bool:
        return UNTAGGED in (self.environment, self.team)

    @property
    def estimate_percent(self) -> float | None:
        return round(100 * self.estimate / self.budget, 1) if self.budget else None

    @property
    def actual_percent(self) -> float | None:
        return round(100 * self.actual / self.budget, 1) if self.budget and self.actual is not None else None

    @property
    def forecast_percent(self) -> float | None:
        return round(100 * self.forecast / self.budget, 1) if self.budget and self.forecast is not None else None

    @property
    def used_percent(self) -> float | None:
        """The share of the budget used: by actual spend where known, else by the estimate."""
        return self.actual_percent if self.actual is not None else self.estimate_percent

    @property
    def variance_percent(self) -> float | None:
        """Actual against the budget, in % (positive: over budget)."""
        return variance_percent(self.actual, self.budget)

    @property
    def estimate_variance_percent(self) -> float | None:
        """Actual against the estimate, in % (positive: spent more than estimated)."""
        return variance_percent(self.actual, self.estimate)

    @property
    def over(self) -> list[str]:
        """What the actual spend exceeds by more than the threshold: "budget", "estimate"."""
        # Spend nobody tagged has no estimate to exceed: it is "unallocated", not over an estimate.
        plans = (("budget", self.budget), ("estimate", None if self.untagged else self.estimate))
        return [name for name, planned in plans if exceeds(self.actual, planned, self.threshold)]

    @property
    def flagged(self) -> bool:
        return bool(self.over)

    @property
    def status(self) -> str:
        if self.flagged:
            return OVERSPEND
        if self.untagged and self.actual:
            return UNALLOCATED
        if any(p is not None and p >= self.near_percent for p in (self.used_percent, self.forecast_percent)):
            return NEAR_BUDGET
        return NO_DATA if self.actual is None and self.budget is None else WITHIN

    def as_dict(self) -> dict[str, Any]:
        return {"environment": self.environment, "team": self.team or None, "budgetUsd": self.budget,
                "estimateUsd": self.estimate, "estimatePercent": self.estimate_percent, "actualUsd": self.actual,
                "actualPercent": self.actual_percent, "variancePercent": self.variance_percent,
                "estimateVariancePercent": self.estimate_variance_percent, "forecastUsd": self.forecast,
                "forecastPercent": self.forecast_percent, "over": self.over, "flagged": self.flagged,
                "status": self.status}


@dataclass(frozen=True)
class UnitCost:
    environment: str
    service: str              # "" for the environment as a whole
    units: float
    estimate: float
    actual: float | None

    @property
    def estimate_per_unit(self) -> float:
        return round(self.estimate / self.units, 4)

    @property
    def actual_per_unit(self) -> float | None:
        return None if self.actual is None else round(self.actual / self.units, 4)


@dataclass
class Report:
    allocation: Allocation
    budgets: list[BudgetLine]
    actuals: Actuals | None
    report_date: str
    price_dates: dict[str, str]
    threshold: float = DEFAULT_THRESHOLD_PERCENT
    alert_marks: tuple[float, ...] = (50.0, 75.0, 90.0)
    unit_metric: UnitMetric | None = None
    unit_costs: list[UnitCost] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set by `finops report` (see executive_summary.py); printed first in JSON and HTML.
    executive_summary: dict[str, Any] | None = None
    # Billing-export sections, in order: trend, forecast, phases, review (JSON keys -> values).
    billing_sections: dict[str, Any] = field(default_factory=dict)

    @property
    def actuals_period(self) -> str | None:
        return self.actuals.period if self.actuals else None

    @property
    def prices_date(self) -> str:
        """The price catalogue's publication date(s), e.g. ``2025-06-01``."""
        dates = sorted(set(self.price_dates.values()))
        if len(dates) == 1:
            return dates[0]
        return ", ".join(f"{region} {date}" for region, date in sorted(self.price_dates.items()))

    @property
    def actual_visibility_percent(self) -> float | None:
        if self.actuals is None or not self.actuals.total:
            return None
        return round(100 * self.actuals.tagged_total() / self.actuals.total, 1)

    def as_dict(self) -> dict[str, Any]:
        a = self.allocation
        actuals = self.actuals
        return {
            **({"executiveSummary": self.executive_summary} if self.executive_summary is not None else {}),
            "reportDate": self.report_date,
            "pricesDate": self.prices_date,
            "priceDates": self.price_dates,
            "actualsPeriod": self.actuals_period,
            "actualsSource": actuals.source if actuals else None,
            "varianceThresholdPercent": self.threshold,
            "totalMonthlyUsd": a.total,
            "totalActualUsd": actuals.total if actuals else None,
            "financialVisibility": {
                "estimatePercent": a.visibility_percent, "actualPercent": self.actual_visibility_percent,
                "estimateMeaning": "share of estimated spend on resources with every mandatory tag",
                "actualMeaning": "share of actual spend tagged with both Environment and Team"},
            "stacks": [{"stack": s.stack, "environment": s.environment, "monthlyUsd": s.total, "source": s.source}
                       for s in a.stacks],
            "allocation": {dim: values for dim, values in a.by.items()},
            "chargeback": [{"environment": k.environment, "team": k.team, "service": k.service,
                            "costCenter": k.cost_center, **dict(zip(a.extra_dimensions, k.extra, strict=True)),
                            "monthlyUsd": v} for k, v in a.lines.items()],
            "budgets": [b.as_dict() for b in self.budgets],
            "actuals": None if actuals is None else {
                "byTeam": actuals.by_team, "byService": actuals.by_service, "forecastUsd": actuals.forecast},
            "unitCosts": None if self.unit_metric is None else {
                "metric": self.unit_metric.name, "source": self.unit_metric.source,
                "lines": [{"environment": u.environment, "service": u.service or None, "units": u.units,
                           "estimateUsd": u.estimate, "estimatePerUnitUsd": u.estimate_per_unit,
                           "actualUsd": u.actual, "actualPerUnitUsd": u.actual_per_unit} for u in self.unit_costs]},
            **self.billing_sections,
            "notes": self.notes,
        }


def _team_lines(stack: StackCosts, actuals: Actuals | None, threshold: float, near: float) -> list[BudgetLine]:
    env = stack.environment
    estimates: dict[str, float] = defaultdict(float)
    for row in stack.rows:
        estimates[row.team or UNTAGGED] += row.monthly_usd or 0.0
    teams = set(stack.plan.team_limits) if stack.plan else set()
    teams |= {t for t, v in estimates.items() if v}
    if actuals is not None:
        teams |= {t for t, v in actuals.by_team.get(env, {}).items() if v}
    lines = []
    for team in sorted(teams, key=lambda t: (t == UNTAGGED, t)):
        budget = stack.plan.team_limits.get(team) if stack.plan else None
        actual = actuals.team_total(env, team) if actuals else None
        lines.append(BudgetLine(env, team, budget, round(estimates.get(team, 0.0), 2), actual, None, threshold, near))
    return lines


def _unit_costs(allocation: Allocation, actuals: Actuals | None, metric: UnitMetric) -> list[UnitCost]:
    by_service: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, value in allocation.lines.items():
        by_service[key.environment][key.service] += value
    result = []
    for env, units in sorted(metric.per_environment.items()):
        services = by_service.get(env, {})
        actual = actuals.environment_total(env) if actuals else None
        result.append(UnitCost(env, "", units, round(sum(services.values()), 2), actual))
        for service, value in sorted(services.items()):
            result.append(UnitCost(env, service, units, round(value, 2),
                                   actuals.service_total(env, service) if actuals else None))
    return result


def summarize(allocation: Allocation, actuals: Actuals | None, *, today: dt.date | None = None,
              threshold: float = DEFAULT_THRESHOLD_PERCENT, units: UnitMetric | None = None) -> Report:
    rules = load_rules()
    marks = tuple(float(t) for t in rules.budget_alerts.thresholds)
    near = max(marks, default=90.0)
    lines: list[BudgetLine] = []
    for stack in allocation.stacks:
        env = stack.environment
        actual = actuals.environment_total(env) if actuals else None
        forecast = actuals.forecast.get(env) if actuals else None
        limit = stack.budget.limit if stack.budget else stack.plan.monthly_limit if stack.plan else None
        lines.append(BudgetLine(env, "", limit, stack.total, actual, forecast, threshold, near))
        lines += _team_lines(stack, actuals, threshold, near)
    notes = [f"{s.stack}: no budget file" for s in allocation.stacks if s.plan is None]
    notes += [f"{s.stack}: the budget is {s.budget.describe()}" for s in allocation.stacks
              if s.budget and s.budget.active]
    notes += [f"{s.stack}: {note}" for s in allocation.stacks if s.budget for note in s.budget.notes()]
    if actuals is not None:
        untagged = actuals.environment_total(UNTAGGED)
        if untagged:
            lines.append(BudgetLine(UNTAGGED, "", None, 0.0, untagged, None, threshold, near))
        reported = {s.environment for s in allocation.stacks} | {UNTAGGED}
        others = [f"{e} ${actuals.environment_total(e) or 0:,.2f}" for e in actuals.environments if e not in reported]
        if others:
            notes.append("actual spend in environments not in this report: " + ", ".join(others))
        if actuals.empty:
            notes.append(f"{actuals.source}: no actual spend for {actuals.period}")
        notes += actuals.notes
    for stack in allocation.stacks:
        unpriced = stack.usage_priced_without_amount
        if unpriced:
            names = ", ".join(sorted(r.name for r in unpriced)[:8]) + (" ..." if len(unpriced) > 8 else "")
            notes.append(f"{stack.stack}: usage of {count(len(unpriced), 'resource')} not included (usage-priced "
                         f"lines without amounts; give them with --usage-file): {names}")
    report = Report(allocation, lines, actuals, (today or dt.date.today()).isoformat(), load_prices().dates(),
                    threshold, marks, units, notes=notes)
    if units is not None:
        report.unit_costs = _unit_costs(allocation, actuals, units)
        missing = sorted({s.environment for s in allocation.stacks} - set(units.per_environment))
        if missing:
            notes.append(f"{units.source}: no {units.name} count for {', '.join(missing)}: no unit cost there")
    return report
