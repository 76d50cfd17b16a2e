"""Stack policies: the stack's estimated monthly cost against its environment's budget.

Two policies so that each has one enforcement level: a warning (advisory) above 75 % of the
budget and a refusal (mandatory) above 100 %; both thresholds are configurable. The budget is
the one of today (``FINOPS_TODAY``): raised by the approved emergency increases whose window
holds it; an expired or unapproved increase is named in the message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from finops_core.budget_increases import BudgetOnDay, budget_on
from finops_core.budget_plans import BudgetPlan, find_budget_plan
from finops_core.rules import ConfigError, Rules
from finops_core.waivers import today
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationArgs

from .messages import Priced, violation
from .policy import Finding
from .policy_specs import StackPolicySpec
from .stack_costs import PRICING_SCHEMA, price_stack
from .subject import stack_environment
from .waiver_file import current_waivers

FAIL, WARN = "finops-cost-vs-budget", "finops-cost-vs-budget-warning"
# Where the budgets are: the policy config's budgetsDir, else $FINOPS_BUDGETS_DIR, else ../budgets
# relative to the pack directory (this repository's layout). An installed pack has none by default.
DEFAULT_BUDGETS_DIR = "../budgets"
BUDGETS_VARIABLE = "FINOPS_BUDGETS_DIR"


def budgets_dir(config: Mapping[str, Any]) -> Path:
    """The budgets directory of a stack policy's config. One that does not exist holds no budget (an
    environment without a budget file is not judged here); ``finops preview`` refuses a configured
    one that does not exist before the pack runs."""
    return Path(str(config.get("budgetsDir") or os.environ.get(BUDGETS_VARIABLE) or DEFAULT_BUDGETS_DIR))


def stack_estimate(args: StackValidationArgs) -> tuple[float, int]:
    """Total monthly USD of the priced resources, and how many could not be priced."""
    total, unpriced = 0.0, 0
    for priced in price_stack(args):
        if priced.estimate is None:
            continue
        if priced.estimate.monthly_usd is None:
            unpriced += 1
        else:
            total += priced.estimate.monthly_usd
    return round(total, 2), unpriced


def todays_budget(plan: BudgetPlan) -> BudgetOnDay:
    """The plan's budget today, its increases approved through the waivers file's approval tiers.
    Raises ConfigError for a bad FINOPS_TODAY, which only a plan with increases needs."""
    if not plan.increases:
        return BudgetOnDay(plan.monthly_limit)
    return budget_on(plan, today(), current_waivers().tiers)


def _check(args: StackValidationArgs, rules: Rules, name: str) -> Iterator[Finding]:
    config: Mapping[str, Any] = args.get_config() or {}
    env = stack_environment(args, rules)
    if env is None:
        return
    try:
        plan = find_budget_plan(env.name, budgets_dir(config), rules)
    except ConfigError as exc:
        yield f"cannot judge the estimate against the budget: {exc}"
        return
    if plan is None:
        return  # an environment without a budget file is not budgeted here (finops-budget-alerts still asks)
    try:
        total, unpriced = stack_estimate(args)
        budget = todays_budget(plan)
    except ConfigError as exc:  # a usage file or price book that cannot be read, a bad FINOPS_TODAY
        yield f"cannot judge the estimate against the budget: {exc}"
        return
    limit = budget.limit
    share = 100 * total / limit
    warn = float(config.get("warnPercent", 75))
    fail = float(config.get("failPercent", 100))
    not_priced = f" ({unpriced} {'resource' if unpriced == 1 else 'resources'} not priced)" if unpriced else ""
    notes = "".join(f"; {note}" for note in budget.notes())
    found = f"an estimate of ${total:,.2f} a month{not_priced}, {share:.1f} % of the {env.name} budget of " \
            f"{budget.describe()} ({plan.source}{notes})"
    if name == FAIL and share > fail:
        over = round(total - limit * fail / 100, 2)
        yield Priced(violation("stack", "estimated cost vs budget", found, f"at most {fail:g} % of the budget",
                               "make resources smaller or fewer, raise the budget in the budgets file, or add an "
                               "emergency increase (increases: in the budgets file) approved through "
                               "approvalTiers."), over)
    elif name == WARN and warn < share <= fail:
        yield violation("stack", "estimated cost vs budget", found, f"up to {warn:g} % without a warning",
                        "review the estimate before the budget is reached.")
    elif name == WARN and share <= warn:
        # Said even when the estimate is fine: an expired increase is to be removed, a missing approval given.
        for note in budget.notes():
            yield violation("stack", "budget increase", f"{note} ({plan.source})",
                            "increases that are approved and current",
                            "remove an expired increase from the budgets file, or add the missing approval.")


def _spec(name: str, description: str, level: EnforcementLevel) -> StackPolicySpec:
    return StackPolicySpec(
        name=name, description=description, level=level, tags=("finops", "cost", "budget"),
        remediation_steps="Make resources smaller or fewer (the preview's estimate shows what each costs), or "
                          "raise the environment's monthly limit in budgets/<environment>.yaml.",
        check=lambda args, rules: _check(args, rules, name),
        patch=lambda config: None,  # these settings are not rules.yaml keys; _check reads them
        config_schema=PolicyConfigSchema(properties={
            "budgetsDir": {"type": "string", "description": "Directory of <environment>.yaml budget files "
                                                            "(absolute, or relative to the pack directory; default "
                                                            "$FINOPS_BUDGETS_DIR, else ../budgets)."},
            "warnPercent": {"type": "number", "minimum": 0, "description": "Warn above this share (default 75)."},
            "failPercent": {"type": "number", "minimum": 0, "description": "Fail above this share (default 100)."},
            **PRICING_SCHEMA,
        }))


SPECS = [
    _spec(FAIL, "The stack's estimated monthly cost stays within its environment's budget.",
                      EnforcementLevel.MANDATORY),
    _spec(WARN, "Warns when the stack's estimated monthly cost nears its environment's budget.",
                      EnforcementLevel.ADVISORY),
]
