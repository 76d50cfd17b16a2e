"""The numbers every report format shows: allocation, budget use, and variance against actuals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .actuals import VARIANCE_FLAG_PERCENT, Actuals, variance
from .allocation import Allocation


@dataclass
class BudgetLine:
    environment: str
    team: str                 # "" for the environment as a whole
    budget: float | None
    estimate: float
    actual: float | None

    @property
    def estimate_percent(self) -> float | None:
        return round(100 * self.estimate / self.budget, 1) if self.budget else None

    @property
    def variance_percent(self) -> float | None:
        """Actual spend against the budget, in % (positive: over budget)."""
        return variance(self.actual, self.budget)

    @property
    def flagged(self) -> bool:
        v = self.variance_percent
        return v is not None and abs(v) > VARIANCE_FLAG_PERCENT


@dataclass
class Report:
    allocation: Allocation
    budgets: list[BudgetLine]
    actuals_period: str | None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        a = self.allocation
        return {
            "totalMonthlyUsd": a.total,
            "stacks": [{"stack": s.stack, "environment": s.environment, "monthlyUsd": s.total} for s in a.stacks],
            "allocation": {dim: values for dim, values in a.by.items()},
            "chargeback": [{"environment": e, "team": t, "service": s, "monthlyUsd": v}
                           for (e, t, s), v in a.lines.items()],
            "budgets": [{"environment": b.environment, "team": b.team or None, "budgetUsd": b.budget,
                         "estimateUsd": b.estimate, "estimatePercent": b.estimate_percent, "actualUsd": b.actual,
                         "variancePercent": b.variance_percent, "flagged": b.flagged} for b in self.budgets],
            "actualsPeriod": self.actuals_period,
            "notes": self.notes,
        }


def summarize(allocation: Allocation, actuals: Actuals | None) -> Report:
    lines = []
    for stack in allocation.stacks:
        env = stack.environment
        actual = actuals.environment_total(env) if actuals else None
        lines.append(BudgetLine(env, "", stack.plan.monthly_limit if stack.plan else None, stack.total, actual))
        teams = set(stack.plan.team_limits) if stack.plan else set()
        teams |= {r.team for r in stack.rows if r.team}
        for team in sorted(teams):
            estimate = round(sum(r.monthly_usd or 0 for r in stack.rows if r.team == team), 2)
            budget = stack.plan.team_limits.get(team) if stack.plan else None
            lines.append(BudgetLine(env, team, budget, estimate,
                                    actuals.team_total(env, team) if actuals and env in actuals.spend else None))
    notes = [f"{s.stack}: no budget file" for s in allocation.stacks if s.plan is None]
    return Report(allocation, lines, actuals.period if actuals else None, notes)
