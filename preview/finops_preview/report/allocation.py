"""Allocate every estimated dollar of a set of stacks to team, service, environment, cost center,
owner (the Owner tag, judged against the budgets' owner limits) and the optional allocation tags
of the rules (``allocationTags``, e.g. Feature)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from finops_core.budget_increases import BudgetOnDay, budget_on
from finops_core.budget_plans import BudgetPlan, find_budget_plan
from finops_core.rules import Rules, load_rules
from finops_core.usage import UsageFile
from finops_core.waivers import load_waivers, today

from ..model import ResourceRow
from ..preview import build_rows
from ..runner import ProgramRun, run_stack

UNTAGGED = "(untagged)"
# The dimensions every report allocates by; the rules' allocation tags come after these.
FIXED_DIMENSIONS = ("team", "service", "environment", "cost_center")
# Who answers for the spend (the Owner tag): allocated like the allocation tags, after the fixed four.
OWNER_DIMENSION = "owner"


def dimensions(rules: Rules | None = None) -> tuple[str, ...]:
    """``team, service, environment, cost_center``, ``owner`` and one per allocation tag (``Feature`` ->
    ``feature``)."""
    rules = rules or load_rules()
    return (*FIXED_DIMENSIONS, OWNER_DIMENSION,
            *(key.lower() for key in rules.allocation_keys if key.lower() != OWNER_DIMENSION))


@dataclass
class StackCosts:
    stack: str
    environment: str
    rows: list[ResourceRow]
    plan: BudgetPlan | None
    source: str = "program under mocks"    # or the `pulumi stack export` file it was read from
    budget: BudgetOnDay | None = None      # the plan's budget today, raised by approved increases

    @property
    def total(self) -> float:
        return round(sum(r.monthly_usd or 0 for r in self.rows), 2)

    @property
    def usage_priced_without_amount(self) -> list[ResourceRow]:
        """Rows with usage-priced cost lines the usage file gives no amount for."""
        return [r for r in self.rows if r.usage_pending]


@dataclass(frozen=True)
class LineKey:
    environment: str
    team: str
    service: str
    cost_center: str
    extra: tuple[str, ...] = ()     # one value per allocation tag, in dimensions() order


@dataclass
class Allocation:
    stacks: list[StackCosts]
    dimensions: tuple[str, ...]
    # dimension -> key -> monthly USD; every priced dollar appears once per dimension.
    by: dict[str, dict[str, float]] = field(default_factory=dict)
    # The chargeback lines: every priced dollar once, with all its dimensions.
    lines: dict[LineKey, float] = field(default_factory=dict)
    # Estimated USD on resources that carry every mandatory tag of the rules.
    fully_tagged: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(s.total for s in self.stacks), 2)

    @property
    def extra_dimensions(self) -> tuple[str, ...]:
        return self.dimensions[len(FIXED_DIMENSIONS):]

    @property
    def visibility_percent(self) -> float | None:
        """Financial visibility: the share of estimated spend with complete allocation tags."""
        return round(100 * self.fully_tagged / self.total, 1) if self.total else None


def _values(row: ResourceRow, tags: Mapping[str, str], rules: Rules) -> dict[str, str]:
    values = {"team": row.team, "service": row.service, "environment": row.environment,
              "cost_center": row.cost_center, OWNER_DIMENSION: tags.get("Owner", "")}
    values.update({key.lower(): tags.get(key, "") for key in rules.allocation_keys})
    return {k: v or UNTAGGED for k, v in values.items()}


def allocate(stacks: Sequence[StackCosts], rules: Rules | None = None) -> Allocation:
    rules = rules or load_rules()
    dims = dimensions(rules)
    by: dict[str, dict[str, float]] = {d: defaultdict(float) for d in dims}
    lines: dict[LineKey, float] = defaultdict(float)
    fully_tagged = 0.0
    for stack in stacks:
        for row in stack.rows:
            amount = row.monthly_usd or 0.0
            if not amount:
                continue
            tags = row.tags
            values = _values(row, tags, rules)
            for dimension in dims:
                by[dimension][values[dimension]] += amount
            key = LineKey(values["environment"], values["team"], values["service"], values["cost_center"],
                          tuple(values[d] for d in dims[len(FIXED_DIMENSIONS):]))
            lines[key] += amount
            if all(tags.get(k) for k in rules.tag_keys):
                fully_tagged += amount
    rounded = {d: {k: round(v, 2) for k, v in sorted(values.items())} for d, values in by.items()}
    ordered = sorted(lines.items(), key=lambda kv: (kv[0].environment, kv[0].team, kv[0].service,
                                                    kv[0].cost_center, kv[0].extra))
    return Allocation(list(stacks), dims, rounded, {k: round(v, 2) for k, v in ordered}, round(fully_tagged, 2))


def _plan(rules: Rules, stack: str, budgets_dir: Path) -> tuple[str, BudgetPlan | None]:
    env = rules.environment_of(None, stack)
    environment = env.name if env else stack
    return environment, find_budget_plan(env.name, budgets_dir, rules) if env is not None else None


def load_stacks(project_dir: Path, stacks: Sequence[str], budgets_dir: Path | None = None,
                usage: UsageFile | None = None,
                states: Mapping[str, ProgramRun] | None = None) -> list[StackCosts]:
    """Run each stack's program under mocks, or take its deployed state from ``states``."""
    rules = load_rules()
    budgets_dir = budgets_dir or Path(project_dir) / "budgets"
    states = states or {}
    tiers = load_waivers(Path(project_dir) / "waivers.yaml").tiers  # approve the budgets' increases
    result = []
    for stack in stacks:
        environment, plan = _plan(rules, stack, budgets_dir)
        run = states[stack] if stack in states else run_stack(project_dir, stack)
        source = "deployed state" if stack in states else "program under mocks"
        rows = build_rows(run, environment, usage, deployed=stack in states)
        budget = budget_on(plan, today(), tiers) if plan is not None else None
        result.append(StackCosts(stack, environment, rows, plan, source, budget))
    return result
