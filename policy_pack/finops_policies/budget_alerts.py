"""Stack policy: the stack holds a monthly AWS cost budget that alerts (comparison GREATER_THAN) at
50, 75 and 90 % of actual spend, or declares in its stack config the shared budget that covers it
(``finops:coveredByBudget``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from finops_core.budget_plans import COVERED_BY_BUDGET
from finops_core.rules import Rules
from finops_core.values import MISSING, UNKNOWN, get, is_list, number
from pulumi_policy import PolicyConfigSchema, StackValidationArgs

from .messages import AtResource, Unknown, violation
from .policy import Finding
from .policy_specs import StackPolicySpec

NAME = "finops-budget-alerts"
BUDGET_TYPE = "aws:budgets/budget:Budget"
# What a budget needs for the rules' thresholds to mean "this share of the month's budget is spent".
MONTHLY = "MONTHLY"
GREATER_THAN = "GREATER_THAN"
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


@dataclass
class _Alerts:
    """What a budget's notifications hold, as far as the policy is concerned."""

    found: set[float] = field(default_factory=set)        # ACTUAL, PERCENTAGE, GREATER_THAN, subscribed
    unknown: list[str] = field(default_factory=list)       # paths whose value is not known yet
    # threshold -> comparison operator of an ACTUAL, PERCENTAGE alert that does not fire on overspend
    # (LESS_THAN, EQUAL_TO): kept to tell the user why the alert does not count.
    other_comparisons: dict[float, str] = field(default_factory=dict)


def _alerts(budget_props: Any) -> _Alerts:
    alerts = _Alerts()
    notifications = get(budget_props, "notifications")
    if notifications is UNKNOWN:
        alerts.unknown.append("notifications")
        return alerts
    if not is_list(notifications):
        return alerts
    for index in range(len(notifications)):
        notification = get(notifications, index)
        kind, unit = get(notification, "notificationType"), get(notification, "thresholdType")
        threshold, comparison = get(notification, "threshold"), get(notification, "comparisonOperator")
        if UNKNOWN in (kind, unit, threshold, comparison):
            alerts.unknown.append(f"notifications[{index}]")
            continue
        amount = number(threshold)
        if kind != "ACTUAL" or unit != "PERCENTAGE" or amount is None or not _has_subscriber(notification):
            continue
        # Only GREATER_THAN warns as spend rises past the threshold; LESS_THAN or EQUAL_TO at 90 %
        # never (or only by chance) fires on overspend.
        if comparison == GREATER_THAN:
            alerts.found.add(amount)
        else:
            alerts.other_comparisons.setdefault(amount, "<none>" if comparison is MISSING else str(comparison))
    return alerts


def alert_thresholds(budget_props: Any) -> tuple[set[float], list[str]]:
    """The ACTUAL, PERCENTAGE, GREATER_THAN thresholds that reach a subscriber, and unknown paths met."""
    alerts = _alerts(budget_props)
    return alerts.found, alerts.unknown


def _describe(missing: set[float], alerts: _Alerts, time_unit: Any) -> str:
    """What is wrong with a budget, in the words of its properties."""
    parts = []
    if missing:
        text = "no alert at " + ", ".join(f"{t:g} %" for t in sorted(missing))
        wrong = sorted((t, c) for t, c in alerts.other_comparisons.items() if t in missing)
        if wrong:
            text += " (" + ", ".join(f"the alert at {t:g} % has comparisonOperator {c}" for t, c in wrong) + ")"
        parts.append(text)
    if time_unit != MONTHLY:
        parts.append(f"timeUnit {'<none>' if time_unit is MISSING else time_unit}")
    return "; ".join(parts)


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
    allowed = (f"a {MONTHLY} COST budget with ACTUAL, PERCENTAGE notifications at {wanted} % (comparisonOperator "
               f"{GREATER_THAN}), each with at least one e-mail or SNS subscriber")
    best: tuple[int, Any, str] | None = None
    unknown_at = ""
    for resource in args.resources:
        if resource.resource_type != BUDGET_TYPE:
            continue
        budget_type = get(resource.props, "budgetType")
        if budget_type not in ("COST", MISSING, UNKNOWN):
            continue
        alerts = _alerts(resource.props)
        time_unit = get(resource.props, "timeUnit")
        missing = required - alerts.found
        # The rules' thresholds are shares of a month's budget (the estimate is monthly too): an
        # ANNUALLY budget's 50 % is six months of spend, a DAILY one's is half a day's.
        if not missing and time_unit == MONTHLY:
            return
        if time_unit is UNKNOWN:
            alerts.unknown.append("timeUnit")
        wrong_period = time_unit not in (MONTHLY, UNKNOWN)
        if alerts.unknown:
            unknown_at = unknown_at or f"{resource.name}.{alerts.unknown[0]}"
            continue
        problems = len(missing) + int(wrong_period)
        if best is None or problems < best[0]:
            best = (problems, resource, _describe(missing, alerts, time_unit))
    if unknown_at:
        # A budget whose alerts are not known yet may be the complete one.
        yield Unknown(unknown_at)
    elif best is None:
        yield violation("stack", "budget alerts", f"no {BUDGET_TYPE} in the stack", allowed,
                        "add finops_components.BudgetAlerts (or an aws.budgets.Budget) to the stack, or name the "
                        f"shared budget that covers it in stack config ({COVERED_BY_BUDGET}).")
    else:
        _, resource, found = best
        yield AtResource(violation(
            f"{BUDGET_TYPE} '{resource.name}'", "budget alerts", found, allowed,
            f"give the budget timeUnit {MONTHLY} and ACTUAL, PERCENTAGE notifications with comparisonOperator "
            f"{GREATER_THAN} at these percentages; finops_components.BudgetAlerts creates one per "
            "budgetAlerts.thresholds of rules.yaml (set them there, or give your own with --rules / "
            "$FINOPS_RULES_FILE)."), resource.urn)


def _patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if "thresholds" not in config:
        return None
    return {"budgetAlerts": {"thresholds": config["thresholds"]}}


SPECS = [StackPolicySpec(
    name=NAME,
    description="The stack holds a monthly AWS budget alerting subscribers above 50, 75 and 90 % of actual spend.",
    check=check,
    config_schema=PolicyConfigSchema(properties={
        "thresholds": {
            "type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1,
            "description": "Percentages of actual spend that must each have an alert (default from rules.yaml).",
        },
    }),
    patch=_patch,
    tags=("finops", "cost", "budget"),
    remediation_steps="Add finops_components.BudgetAlerts to the stack (or an aws.budgets.Budget alerting at 50, "
                      "75 and 90 % of actual spend), or name the shared budget that covers the stack with "
                      "finops:coveredByBudget in its stack config.",
)]
