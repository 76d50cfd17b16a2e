"""Stack policy: the stack holds an AWS cost budget that alerts at 50, 75 and 90 % of actual spend,
or declares in its stack config the shared budget that covers it (``finops:coveredByBudget``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from finops_core.rules import Rules
from finops_core.values import MISSING, UNKNOWN, get, is_list, number
from pulumi_policy import PolicyConfigSchema, StackValidationArgs

from .messages import AtResource, Unknown, violation
from .policy import Finding
from .registry import StackPolicySpec

NAME = "finops-budget-alerts"
BUDGET_TYPE = "aws:budgets/budget:Budget"
COVERED_BY_BUDGET = "finops:coveredByBudget"
# AWS budget names: 1-100 characters, no ':' or '\\' (the Budgets API's BudgetName pattern).
_BUDGET_NAME = re.compile(r"^[^:\\]{1,100}$")


def stack_config() -> dict[str, str]:
    """The stack's config as the engine hands it to the pack: PULUMI_CONFIG, JSON of "ns:key" -> value."""
    try:
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        return {}
    return {str(k): v for k, v in config.items() if isinstance(v, str)} if isinstance(config, dict) else {}


def covering_budget() -> str | None:
    """The shared budget (e.g. the team's budget in the account) a team stack declares it is covered by,
    instead of creating budgets of its own (which must be unique per account)."""
    name = stack_config().get(COVERED_BY_BUDGET, "").strip()
    return name or None


def _has_subscriber(notification: Any) -> bool:
    for key in ("subscriberEmailAddresses", "subscriberSnsTopicArns"):
        subscribers = get(notification, key)
        # An SNS topic created in the same update has an unknown ARN during preview; it is
        # still a subscriber.
        if subscribers is UNKNOWN or (is_list(subscribers) and len(subscribers) > 0):
            return True
    return False


def alert_thresholds(budget_props: Any) -> tuple[set[float], list[str]]:
    """The ACTUAL/PERCENTAGE thresholds that reach a subscriber, and unknown paths met."""
    found: set[float] = set()
    unknown: list[str] = []
    notifications = get(budget_props, "notifications")
    if notifications is UNKNOWN:
        return found, ["notifications"]
    if not is_list(notifications):
        return found, unknown
    for index in range(len(notifications)):
        notification = get(notifications, index)
        kind, unit = get(notification, "notificationType"), get(notification, "thresholdType")
        threshold = get(notification, "threshold")
        if UNKNOWN in (kind, unit, threshold):
            unknown.append(f"notifications[{index}]")
            continue
        amount = number(threshold)
        if kind == "ACTUAL" and unit == "PERCENTAGE" and amount is not None and _has_subscriber(notification):
            found.add(amount)
    return found, unknown


def check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    covered = covering_budget()
    if covered is not None:
        if not _BUDGET_NAME.match(covered):
            yield violation("stack", "budget alerts", f"{COVERED_BY_BUDGET}={covered!r}",
                            "the name of an AWS budget (1-100 characters, no ':' or '\\')",
                            f"set {COVERED_BY_BUDGET} to the name of the budget that covers this stack.")
        return  # the shared budget carries the alerts; BudgetAlerts in that stack checks them
    required = set(rules.budget_alerts.thresholds)
    wanted = ", ".join(f"{t:g}" for t in sorted(required))
    allowed = (f"a COST budget with ACTUAL, PERCENTAGE notifications at {wanted} %, each with at least one "
               "e-mail or SNS subscriber")
    best: tuple[int, Any, set[float]] | None = None
    unknown_at = ""
    for resource in args.resources:
        if resource.resource_type != BUDGET_TYPE:
            continue
        budget_type = get(resource.props, "budgetType")
        if budget_type not in ("COST", MISSING, UNKNOWN):
            continue
        found, unknown = alert_thresholds(resource.props)
        missing = required - found
        if not missing:
            return
        if unknown:
            unknown_at = unknown_at or f"{resource.name}.{unknown[0]}"
            continue
        if best is None or len(missing) < best[0]:
            best = (len(missing), resource, missing)
    if unknown_at:
        # A budget whose alerts are not known yet may be the complete one.
        yield Unknown(unknown_at)
    elif best is None:
        yield violation("stack", "budget alerts", f"no {BUDGET_TYPE} in the stack", allowed,
                        "add finops_components.BudgetAlerts (or an aws.budgets.Budget) to the stack, or name the "
                        f"shared budget that covers it in stack config ({COVERED_BY_BUDGET}).")
    else:
        _, resource, missing = best
        yield AtResource(violation(
            f"{BUDGET_TYPE} '{resource.name}'", "budget alerts",
            "no alert at " + ", ".join(f"{t:g} %" for t in sorted(missing)), allowed,
            "add notifications at these percentages to the budget; finops_components.BudgetAlerts creates one per "
            "budgetAlerts.thresholds of rules.yaml (set them there, or give your own with --rules / "
            "$FINOPS_RULES_FILE)."), resource.urn)


def _patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if "thresholds" not in config:
        return None
    return {"budgetAlerts": {"thresholds": config["thresholds"]}}


SPECS = [StackPolicySpec(
    name=NAME,
    description="The stack holds an AWS budget alerting subscribers at 50, 75 and 90 % of actual spend.",
    check=check,
    config_schema=PolicyConfigSchema(properties={
        "thresholds": {
            "type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1,
            "description": "Percentages of actual spend that must each have an alert (default from rules.yaml).",
        },
    }),
    patch=_patch,
)]
