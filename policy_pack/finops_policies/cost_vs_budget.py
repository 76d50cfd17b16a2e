"""Stack policies: the stack's estimated monthly cost against its environment's budget.

Two policies so that each has one enforcement level: a warning (advisory) above 75 % of the
budget and a refusal (mandatory) above 100 %; both thresholds are configurable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from finops_core.budget_plans import find_budget_plan
from finops_core.rules import ConfigError, Rules
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationArgs

from .messages import violation
from .policy import Finding
from .registry import StackPolicySpec
from .stack_costs import PRICING_SCHEMA, price_stack
from .subject import stack_environment

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
    except ConfigError as exc:  # a usage file or price book that cannot be read
        yield f"cannot judge the estimate against the budget: {exc}"
        return
    share = 100 * total / plan.monthly_limit
    warn = float(config.get("warnPercent", 75))
    fail = float(config.get("failPercent", 100))
    not_priced = f" ({unpriced} {'resource' if unpriced == 1 else 'resources'} not priced)" if unpriced else ""
    found = f"an estimate of ${total:,.2f} a month{not_priced}, {share:.1f} % of the {env.name} budget of " \
            f"${plan.monthly_limit:,.2f} ({plan.source})"
    if name == FAIL and share > fail:
        yield violation("stack", "estimated cost vs budget", found, f"at most {fail:g} % of the budget",
                        "make resources smaller or fewer, or raise the budget in the budgets file.")
    elif name == WARN and warn < share <= fail:
        yield violation("stack", "estimated cost vs budget", found, f"up to {warn:g} % without a warning",
                        "review the estimate before the budget is reached.")


def _spec(name: str, description: str, level: EnforcementLevel) -> StackPolicySpec:
    return StackPolicySpec(
        name=name, description=description, level=level,
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
