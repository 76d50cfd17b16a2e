"""finops-budget-alerts: the stack policy, over AnalyzeStack."""

from __future__ import annotations

from typing import Any

from conftest import UNKNOWN, mandatory, tags
from finops_preview.analyzer import PolicyPackProcess, StackResource

BUDGET = "aws:budgets/budget:Budget"


def notification(threshold: float, kind: str = "ACTUAL", comparison: str = "GREATER_THAN",
                 **subscribers: Any) -> dict[str, Any]:
    return {"comparisonOperator": comparison, "notificationType": kind, "threshold": threshold,
            "thresholdType": "PERCENTAGE",
            **(subscribers or {"subscriberEmailAddresses": ["finops@example.com"]})}


def budget(name: str, *notifications: dict[str, Any], budget_type: str = "COST",
           time_unit: Any = "MONTHLY") -> StackResource:
    return StackResource(BUDGET, name, f"urn:pulumi:dev::p::{BUDGET}::{name}", {
        "budgetType": budget_type, "limitAmount": "1000", "limitUnit": "USD", "timeUnit": time_unit,
        "notifications": list(notifications), "tags": tags()})


def test_stack_without_a_budget_is_a_mandatory_violation(pack: PolicyPackProcess) -> None:
    bucket = StackResource("aws:s3/bucket:Bucket", "logs", "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs",
                           {"tags": tags()})
    found = mandatory(pack.analyze_stack([bucket]), "finops-budget-alerts")
    assert len(found) == 1
    assert "found no aws:budgets/budget:Budget in the stack" in found[0].message
    assert "ACTUAL, PERCENTAGE notifications at 50, 75, 90 %" in found[0].message


def test_budget_with_50_75_90_and_a_subscriber_passes(pack: PolicyPackProcess) -> None:
    full = budget("monthly", notification(50), notification(75), notification(90), notification(100, "FORECASTED"))
    assert pack.analyze_stack([full]) == []


def test_sns_subscriber_unknown_during_preview_counts(pack: PolicyPackProcess) -> None:
    full = budget("monthly", *(notification(t, subscriberSnsTopicArns=[UNKNOWN]) for t in (50, 75, 90)))
    assert pack.analyze_stack([full]) == []


def test_missing_threshold_is_named(pack: PolicyPackProcess) -> None:
    found = mandatory(pack.analyze_stack([budget("monthly", notification(50), notification(75))]))
    assert len(found) == 1 and "Budget 'monthly': budget alerts: found no alert at 90 %" in found[0].message
    assert found[0].urn.endswith("::monthly")  # reported against the budget itself


def test_forecast_or_unsubscribed_alerts_do_not_count(pack: PolicyPackProcess) -> None:
    forecast_only = budget("f", *(notification(t, "FORECASTED") for t in (50, 75, 90)))
    silent = budget("s", *(notification(t, subscriberEmailAddresses=[]) for t in (50, 75, 90)))
    usage = budget("u", *(notification(t) for t in (50, 75, 90)), budget_type="USAGE")
    assert len(mandatory(pack.analyze_stack([forecast_only, silent, usage]))) == 1


def test_alerts_that_do_not_fire_on_overspend_do_not_count(pack: PolicyPackProcess) -> None:
    # LESS_THAN at 90 % warns while spend is *below* 90 %, never when it passes it.
    below = budget("monthly", notification(50), notification(75), notification(90, comparison="LESS_THAN"))
    found = mandatory(pack.analyze_stack([below]), "finops-budget-alerts")
    assert len(found) == 1
    message = found[0].message
    assert ("Budget 'monthly': budget alerts: found no alert at 90 % (the alert at 90 % has comparisonOperator "
            "LESS_THAN)") in message
    assert ("allowed: a MONTHLY COST budget with ACTUAL, PERCENTAGE notifications at 50, 75, 90 % "
            "(comparisonOperator GREATER_THAN)") in message
    assert "Fix: give the budget timeUnit MONTHLY" in message
    equal = budget("monthly", *(notification(t, comparison="EQUAL_TO") for t in (50, 75, 90)))
    assert len(mandatory(pack.analyze_stack([equal]), "finops-budget-alerts")) == 1


def test_a_budget_that_is_not_monthly_does_not_count(pack: PolicyPackProcess) -> None:
    # The thresholds are shares of a month's budget: 50 % of an annual budget is six months' spend.
    annual = budget("yearly", *(notification(t) for t in (50, 75, 90)), time_unit="ANNUALLY")
    found = mandatory(pack.analyze_stack([annual]), "finops-budget-alerts")
    assert len(found) == 1
    assert "Budget 'yearly': budget alerts: found timeUnit ANNUALLY; allowed: a MONTHLY COST budget" in found[0].message
    assert found[0].urn.endswith("::yearly")
    both = budget("daily", notification(50), notification(75), time_unit="DAILY")
    [finding] = mandatory(pack.analyze_stack([both]), "finops-budget-alerts")
    assert "found no alert at 90 %; timeUnit DAILY;" in finding.message
    # A budget whose period is not known yet during preview may be the monthly one: advisory only.
    later = budget("later", *(notification(t) for t in (50, 75, 90)), time_unit=UNKNOWN)
    found = pack.analyze_stack([later])
    assert mandatory(found) == [] and len(found) == 1


def test_a_correct_budget_next_to_wrong_ones_passes(pack: PolicyPackProcess) -> None:
    wrong = budget("below", *(notification(t, comparison="LESS_THAN") for t in (50, 75, 90)))
    annual = budget("yearly", *(notification(t) for t in (50, 75, 90)), time_unit="ANNUALLY")
    full = budget("monthly", notification(50), notification(75), notification(90), notification(100, "FORECASTED"))
    assert pack.analyze_stack([wrong, annual, full]) == []


def test_one_complete_budget_among_team_budgets_is_enough(pack: PolicyPackProcess) -> None:
    team = budget("team-backend", notification(90))
    full = budget("monthly", notification(50), notification(75), notification(90))
    assert pack.analyze_stack([team, full]) == []


def _resource(resource_type: str, name: str, props: dict[str, Any]) -> StackResource:
    return StackResource(resource_type, name, f"urn:pulumi:dev::p::{resource_type}::{name}", {**props, "tags": tags()})


def test_provisioning_limits_count_instances_nodes_databases_and_gpus(pack: PolicyPackProcess) -> None:
    groups = [_resource("aws:eks/nodeGroup:NodeGroup", f"g{i}", {"instanceTypes": ["t4g.medium"],
                                                                  "scalingConfig": {"maxSize": 3}}) for i in range(6)]
    databases = [_resource("aws:rds/instance:Instance", f"db{i}", {"instanceClass": "db.t4g.micro"}) for i in range(3)]
    found = mandatory(pack.analyze_stack([*groups, *databases]), "finops-provisioning-limits")
    messages = " | ".join(d.message for d in found)
    assert "found 18 node-group nodes (maximum sizes) in this stack; allowed: at most 15 in dev" in messages
    assert "found 3 databases in this stack; allowed: at most 2 in dev" in messages
    assert mandatory(pack.analyze_stack(groups[:5]), "finops-provisioning-limits") == []
    trainers = [_resource("aws:ec2/instance:Instance", f"t{i}", {"instanceType": "g4dn.12xlarge"}) for i in range(2)]
    pack.configure({"finops-provisioning-limits": {"environments": {"dev": {"maxGpus": 4}}}})
    try:
        found = mandatory(pack.analyze_stack(trainers), "finops-provisioning-limits")
    finally:
        pack.configure({})
    assert len(found) == 1 and "found 8 GPUs/accelerators in this stack; allowed: at most 4 in dev" in found[0].message
