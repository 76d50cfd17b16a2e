"""Allocate every estimated dollar of a set of stacks to team, service, environment and cost center."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from finops_core.budget_plans import BudgetPlan, find_budget_plan
from finops_core.rules import load_rules

from ..model import ResourceRow
from ..preview import build_rows
from ..runner import run_stack

UNTAGGED = "(untagged)"
DIMENSIONS = ("team", "service", "environment", "cost_center")


@dataclass
class StackCosts:
    stack: str
    environment: str
    rows: list[ResourceRow]
    plan: BudgetPlan | None

    @property
    def total(self) -> float:
        return round(sum(r.monthly_usd or 0 for r in self.rows), 2)


@dataclass
class Allocation:
    stacks: list[StackCosts]
    # dimension -> key -> monthly USD; every priced dollar appears once per dimension.
    by: dict[str, dict[str, float]] = field(default_factory=dict)
    # (environment, team, service) -> monthly USD: the chargeback lines.
    lines: dict[tuple[str, str, str], float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(s.total for s in self.stacks), 2)


def _key(row: ResourceRow, dimension: str) -> str:
    return getattr(row, dimension) or UNTAGGED


def allocate(stacks: Sequence[StackCosts]) -> Allocation:
    by: dict[str, dict[str, float]] = {d: defaultdict(float) for d in DIMENSIONS}
    lines: dict[tuple[str, str, str], float] = defaultdict(float)
    for stack in stacks:
        for row in stack.rows:
            amount = row.monthly_usd or 0.0
            if not amount:
                continue
            for dimension in DIMENSIONS:
                by[dimension][_key(row, dimension)] += amount
            lines[(_key(row, "environment"), _key(row, "team"), _key(row, "service"))] += amount
    rounded = {d: {k: round(v, 2) for k, v in sorted(values.items())} for d, values in by.items()}
    return Allocation(list(stacks), rounded, {k: round(v, 2) for k, v in sorted(lines.items())})


def load_stacks(project_dir: Path, stacks: Sequence[str], budgets_dir: Path | None = None) -> list[StackCosts]:
    rules = load_rules()
    budgets_dir = budgets_dir or Path(project_dir) / "budgets"
    result = []
    for stack in stacks:
        run = run_stack(project_dir, stack)
        env = rules.environment_of(None, stack)
        environment = env.name if env else stack
        plan = find_budget_plan(env.name, budgets_dir, rules) if env is not None else None
        result.append(StackCosts(stack, environment, build_rows(run, environment, {}), plan))
    return result
