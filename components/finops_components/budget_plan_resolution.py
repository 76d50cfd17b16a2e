"""Which budget plan a stack's :class:`~finops_components.budget_alerts_component.BudgetAlerts`
follows: the plan in code, a plan file, ``<budgets_dir>/<environment>.yaml``, or none because
the stack config names an existing budget that covers it (``finops:coveredByBudget``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from finops_core.budget_plans import (
    COVERED_BY_BUDGET,
    COVERED_BY_BUDGET_KEY,
    COVERED_BY_BUDGET_NAMESPACE,
    BudgetPlan,
    load_budget_plan,
    parse_budget_plan,
)
from finops_core.reading import ConfigError, YamlDoc, load_yaml

from .aws_budget_limits import BUDGET_NAME
from .budget_alerts_args import BudgetAlertsArgs
from .environment import Environment
from .locations import code_location, config_source


def default_emergency_action(env: Environment) -> tuple[str, str]:
    """(kind, approval) of the emergency action when a plan in code names none, as the budgets
    files have it: where the rules switch the environment off at night (dev) its instances are
    expendable, so they are stopped automatically; elsewhere new compute is denied once a human
    approves (stopping staging or prod would be an outage)."""
    if env.rules.auto_shutdown.enabled:
        return "STOP_TAGGED_INSTANCES", "AUTOMATIC"
    return "DENY_NEW_COMPUTE", "MANUAL"


def plan_of(args: BudgetAlertsArgs, env: Environment) -> BudgetPlan:
    """The budget plan the arguments describe (see :class:`BudgetAlertsArgs`), checked as a
    budgets file is: a bad value names the line of code (or the file and key) it came from."""
    if args.monthly_limit_usd is not None:
        limit = args.monthly_limit_usd
        default_kind, default_approval = default_emergency_action(env)
        data: dict[str, Any] = {
            "monthlyLimit": limit, "teams": dict(args.teams), "subscribers": list(args.subscribers),
            "anomaly": {"thresholdUsd": args.anomaly_threshold_usd if args.anomaly_threshold_usd is not None
                        else round(0.1 * limit, 2) if isinstance(limit, (int, float)) else None,
                        "frequency": args.anomaly_frequency},
            "emergencyAction": {
                "kind": default_kind if args.emergency_action is None else args.emergency_action,
                "approval": default_approval if args.emergency_approval is None else args.emergency_approval,
                "thresholdPercent": args.emergency_threshold_percent},
        }
        return parse_budget_plan(YamlDoc(code_location(), data), env.name, env.all_rules)
    if args.plan_file is not None:
        return parse_budget_plan(load_yaml(args.plan_file), env.name, env.all_rules)
    return load_budget_plan(env.name, Path(args.budgets_dir), env.all_rules)


def covering_budget() -> str | None:
    """The existing budget the stack declares it is covered by (``finops:coveredByBudget``), if any."""
    name = pulumi.Config(COVERED_BY_BUDGET_NAMESPACE).get(COVERED_BY_BUDGET_KEY)
    if name is None:
        return None
    if not BUDGET_NAME.match(name) or "/action/" in name:
        source = config_source(COVERED_BY_BUDGET_NAMESPACE, pulumi.get_stack(), COVERED_BY_BUDGET_KEY)
        raise ConfigError(source.file, COVERED_BY_BUDGET, name,
                          "the name of an AWS budget: 1 to 100 characters, no ':' or '\\' and no '/action/'",
                          source.line)
    return name
