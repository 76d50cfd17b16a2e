"""The executive summary at the top of every JSON and HTML report: the total against the budget,
the forecast, the three biggest movers, the top optimisation opportunities with their monthly
savings, and the visibility KPI."""

from __future__ import annotations

from typing import Any

from finops_core.rules import load_rules

from .spend_trend import Trend
from .summary import Report
from .team_review import WeeklyReview

COMMITMENT_TYPES = ("aws:ec2/instance:Instance", "aws:rds/instance:Instance", "aws:eks/nodeGroup:NodeGroup")
TOP = 3


def _movers(trend: Trend | None, review: WeeklyReview | None) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    if trend is not None and len(trend.months) >= 2 and trend.forecast is not None:
        before, now = trend.months[-2], trend.months[-1]
        basis = f"{now.month} against {before.month}"
        for dimension, old, new in (("team", before.by_team, now.by_team),
                                    ("service", before.by_service, now.by_service)):
            for key in set(old) | set(new):
                delta = round(new.get(key, 0.0) - old.get(key, 0.0), 2)
                changes.append({"dimension": dimension, "name": key, "previousUsd": old.get(key, 0.0),
                                "currentUsd": new.get(key, 0.0), "changeUsd": delta})
    elif review is not None:
        basis = f"the week from {review.current[0]} against the week before"
        for dimension, lines in (("team", review.by_team), ("service", review.by_service)):
            for key, change in lines.items():
                changes.append({"dimension": dimension, "name": key, "previousUsd": change.previous,
                                "currentUsd": change.current, "changeUsd": round(change.current - change.previous, 2)})
    else:
        return [], "no earlier period read (use --months 2 or more, or --period week)"
    changes.sort(key=lambda c: (-abs(c["changeUsd"]), c["dimension"], c["name"]))
    return changes[:TOP], basis


def _opportunities(report: Report) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for line in report.budgets:
        if line.team and not line.untagged and "estimate" in line.over and line.actual is not None:
            found.append({"what": f"{line.environment}/{line.team}: actual spend above its estimate; "
                                  f"bring it back to the estimate", "monthlySavingsUsd":
                          round(line.actual - line.estimate, 2)})
    share = load_rules().advice.commitment_discount_percent
    for stack in report.allocation.stacks:
        if stack.environment != "prod":
            continue
        compute = sum(r.monthly_usd or 0.0 for r in stack.rows if r.type in COMMITMENT_TYPES)
        if compute:
            found.append({"what": f"{stack.stack}: a 1-year Savings Plan or reservations for its steady compute "
                                  f"(at a typical {share:g} % discount)",
                          "monthlySavingsUsd": round(compute * share / 100, 2)})
    found.sort(key=lambda o: -o["monthlySavingsUsd"])
    return found[:TOP]


def executive_summary(report: Report, trend: Trend | None = None,
                      review: WeeklyReview | None = None) -> dict[str, Any]:
    environments = [b for b in report.budgets if not b.team and not b.untagged]
    budget = round(sum(b.budget or 0.0 for b in environments), 2) if any(b.budget for b in environments) else None
    actual = report.actuals.total if report.actuals is not None else None
    if trend is not None and trend.forecast is not None:
        forecast: dict[str, Any] = {"usd": trend.forecast, "month": trend.forecast_month,
                                    "method": trend.forecast_dict()["method"]}
    elif report.actuals is not None and report.actuals.forecast:
        forecast = {"usd": round(sum(report.actuals.forecast.values()), 2), "month": None,
                    "method": "Cost Explorer's month-end forecast"}
    else:
        forecast = {"usd": None, "month": None, "method": "none: no trend or month-end forecast read"}
    movers, basis = _movers(trend, review)
    visibility = report.actual_visibility_percent
    return {
        "totalUsd": actual if actual is not None else report.allocation.total,
        "totalBasis": "actual spend" if actual is not None else "monthly estimate",
        "budgetUsd": budget,
        "budgetUsedPercent": None if not budget else round(100 * (actual if actual is not None
                                                                   else report.allocation.total) / budget, 1),
        "forecast": forecast,
        "biggestMovers": movers,
        "moversBasis": basis,
        "opportunities": _opportunities(report),
        "visibilityPercent": visibility if visibility is not None else report.allocation.visibility_percent,
        "visibilityMeaning": ("share of actual spend tagged with both Environment and Team" if visibility is not None
                              else "share of estimated spend on resources with every mandatory tag"),
    }
