"""What a budget's emergency increases (``increases:`` in ``budgets/<env>.yaml``) make of it on a
given day, and in which months: pure functions over the budget plan, read by the policy pack,
``finops preview``, the report and the BudgetAlerts component alike.

An increase raises the budget from its ``from`` day through its ``until`` day, once its
approvals satisfy the approval tier of its amount (waivers.yaml's ``approvalTiers``; without
tiers, one approval). Before its window it is upcoming, after it expired; an increase that
lacks an approval never raises anything and says what it lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .approval_tiers import ApprovalTier, approval_gap
from .budget_plans import BudgetIncrease, BudgetPlan


@dataclass(frozen=True)
class BudgetOnDay:
    """The budget on one day: the file's limit plus the approved increases whose window holds it."""

    base: float
    active: tuple[BudgetIncrease, ...] = ()
    expired: tuple[BudgetIncrease, ...] = ()
    unapproved: tuple[tuple[BudgetIncrease, str], ...] = ()   # (increase, what approval it lacks)

    @property
    def limit(self) -> float:
        return round(self.base + sum(i.amount for i in self.active), 2)

    def describe(self) -> str:
        """"$1,000.00 ($600.00 + increase FIN-77 of $400.00 (2026-12-01 to 2026-12-31))", or the
        plain limit without an active increase."""
        if not self.active:
            return f"${self.limit:,.2f}"
        return f"${self.limit:,.2f} (${self.base:,.2f} + {' + '.join(i.describe() for i in self.active)})"

    def notes(self) -> list[str]:
        """What a reader should know besides the limit: expired and unapproved increases."""
        said = [f"{i.describe()} expired on {i.until.isoformat()}: the budget is no longer raised by it"
                for i in self.expired]
        said += [f"{i.describe()} does not apply: {gap}" for i, gap in self.unapproved]
        return said


def increase_gap(increase: BudgetIncrease, tiers: Sequence[ApprovalTier]) -> str | None:
    """What approval ``increase`` lacks (None: approved), judged by the tier of its amount."""
    return approval_gap(increase.amount, increase.approvals, tiers, what="this increase")


def budget_on(plan: BudgetPlan, day: dt.date, tiers: Sequence[ApprovalTier] = ()) -> BudgetOnDay:
    active, expired, unapproved = [], [], []
    for increase in plan.increases:
        if day > increase.until:
            expired.append(increase)
            continue
        gap = increase_gap(increase, tiers)
        if gap is not None:
            unapproved.append((increase, gap))
        elif increase.start <= day:
            active.append(increase)
    return BudgetOnDay(plan.monthly_limit, tuple(active), tuple(expired), tuple(unapproved))


def _month_start(day: dt.date, months_later: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months_later
    return dt.date(index // 12, index % 12 + 1, 1)


def planned_limits(plan: BudgetPlan, tiers: Sequence[ApprovalTier], first_month: dt.date,
                   months: int = 12) -> list[tuple[dt.date, float]]:
    """The monthly limit of each of ``months`` months from ``first_month``'s: the plan's limit
    plus every approved increase whose window overlaps the month (AWS Budgets' planned limits
    are per month, and its alerts are shares of the month's limit). Empty when no approved
    increase touches those months: the plain limit then says it all."""
    start = _month_start(first_month)
    approved = [i for i in plan.increases if increase_gap(i, tiers) is None]
    limits = []
    for offset in range(months):
        month, next_month = _month_start(start, offset), _month_start(start, offset + 1)
        raised = sum(i.amount for i in approved if i.start < next_month and i.until >= month)
        limits.append((month, round(plan.monthly_limit + raised, 2)))
    if all(amount == plan.monthly_limit for _, amount in limits):
        return []
    return limits


def aws_budget_limits(plan: BudgetPlan, tiers: Sequence[ApprovalTier], today: dt.date) -> dict[str, Any]:
    """The limit arguments of the environment's ``aws.budgets.Budget`` (snake_case, as pulumi_aws
    takes them): ``limit_amount``/``limit_unit`` without an approved increase in the next 12
    months, else ``planned_limits`` for 12 months from this one, as AWS Budgets wants them
    (PlannedBudgetLimits: monthly budgets give the current month and the next 11, and BudgetLimit
    cannot be given with them; after the last, its amount stays). The alerts, shares of the
    month's limit, then stay at 50/75/90 % of the raised budget."""
    months = planned_limits(plan, tiers, today)
    if not months:
        return {"limit_amount": f"{plan.monthly_limit:.2f}", "limit_unit": plan.currency}
    return {"planned_limits": [{"start_time": f"{month.isoformat()}_00:00", "amount": f"{amount:.2f}",
                                "unit": plan.currency} for month, amount in months]}
