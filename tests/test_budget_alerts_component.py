"""BudgetAlerts: the emergency action per environment, team budgets per environment, AWS's limits."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import finops_components as finops
import pytest
from conftest import ROOT, budgets_of, named, run_in
from finops_components import iam_principals
from finops_components.aws_budget_limits import BudgetLimitError
from finops_core.emergency_brake import deny_document
from finops_core.rules import ConfigError

ACTION = "aws:budgets/budgetAction:BudgetAction"
SUBSCRIBERS = ["shop-team@example.com"]


@pytest.fixture
def team_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's own project, stack files at its root (no stackConfigDir), as the program's cwd."""
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    for stack in ("dev", "staging", "prod"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: eu-west-1\n  shop:owner: jdoe\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FINOPS_WAIVERS_FILE", raising=False)
    return tmp_path


def of_type(resources: list[Any], resource_type: str) -> list[Any]:
    return [r for r in resources if r.type == resource_type]


def in_code(**args: Any) -> Any:
    def program() -> None:
        finops.enforce(team="backend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(**{"monthly_limit_usd": 300,
                                                                 "subscribers": SUBSCRIBERS, **args}))
    return program


# -- the emergency action ---------------------------------------------------------------------------

def test_a_stop_action_without_instances_is_not_created_and_says_what_to_set(
        team_project: Path, caplog: pytest.LogCaptureFixture) -> None:
    # AWS wants 1 to 100 instance IDs in a STOP action: an empty list would fail `pulumi up`.
    with caplog.at_level(logging.WARNING):
        resources = run_in("shop", in_code())
    assert of_type(resources, ACTION) == []
    assert not [r for r in resources if r.name.startswith("budget-action")]  # no execution role either
    assert len(budgets_of(resources)) == 1  # the alerts are created all the same
    warning = " ".join(r.getMessage() for r in caplog.records if "no emergency action" in r.getMessage())
    assert "STOP_TAGGED_INSTANCES" in warning and "emergency_instance_ids" in warning
    assert "emergency_db_instance_ids" in warning and "DENY_NEW_COMPUTE" in warning


def test_dev_stops_the_named_instances_automatically_by_default(team_project: Path) -> None:
    # The plan in code names no emergency action: dev (auto-shutdown in the rules) stops, automatically.
    resources = run_in("shop", in_code(emergency_instance_ids=["i-0123456789abcdef0"],
                                       emergency_db_instance_ids=["shop-db"]))
    actions = {r.name: r.inputs for r in of_type(resources, ACTION)}
    assert set(actions) == {"budget-emergency", "budget-emergency-rds"}
    ec2 = actions["budget-emergency"]
    assert ec2["actionType"] == "RUN_SSM_DOCUMENTS" and ec2["approvalModel"] == "AUTOMATIC"
    assert ec2["definition"]["ssmActionDefinition"] == {
        "actionSubType": "STOP_EC2_INSTANCES", "instanceIds": ["i-0123456789abcdef0"], "region": "eu-west-1"}
    rds = actions["budget-emergency-rds"]["definition"]["ssmActionDefinition"]
    assert rds["actionSubType"] == "STOP_RDS_INSTANCES" and rds["instanceIds"] == ["shop-db"]
    assert actions["budget-emergency"]["actionThreshold"]["actionThresholdValue"] == 100


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_deny_new_compute_on_approval_by_default(team_project: Path, stack: str) -> None:
    resources = run_in("shop", in_code(emergency_roles=["shop-deploy"]), stack=stack)
    [action] = [r.inputs for r in of_type(resources, ACTION)]
    assert action["actionType"] == "APPLY_IAM_POLICY" and action["approvalModel"] == "MANUAL"


def test_an_explicit_emergency_action_wins_over_the_environment_default(team_project: Path) -> None:
    resources = run_in("shop", in_code(emergency_action="DENY_NEW_COMPUTE", emergency_roles=["shop-deploy"]))
    [action] = [r.inputs for r in of_type(resources, ACTION)]
    assert action["actionType"] == "APPLY_IAM_POLICY" and action["approvalModel"] == "AUTOMATIC"  # dev's approval


def test_the_deny_policy_goes_to_the_principals_that_deploy_not_to_the_action_role(team_project: Path) -> None:
    resources = run_in("shop", in_code(emergency_roles=["shop-deploy"], emergency_groups=["shop-admins"]),
                       stack="prod")
    [action] = [r.inputs for r in of_type(resources, ACTION)]
    iam = action["definition"]["iamActionDefinition"]
    assert iam["roles"] == ["shop-deploy"] and iam["groups"] == ["shop-admins"] and "users" not in iam
    # The execution role may attach and detach that one policy, nothing else.
    policy = named(resources, "budget-action-policy").inputs["policy"]
    assert '"iam:PolicyARN"' in policy and "iam:AttachRolePolicy" in policy


def test_the_brake_denies_the_kinds_table_s_grow_actions_and_reaches_the_compute_roles(team_project: Path) -> None:
    resources = run_in("shop", in_code(emergency_roles=["shop-deploy"], compute_roles=["shop-nodes", "autoscaler"]),
                       stack="staging")
    assert json.loads(named(resources, "budget-deny-new-compute").inputs["policy"]) == deny_document("staging")
    [action] = [r.inputs for r in of_type(resources, ACTION)]
    assert action["definition"]["iamActionDefinition"]["roles"] == ["shop-deploy", "shop-nodes", "autoscaler"]


def test_in_an_organization_an_scp_of_the_same_content_is_offered(team_project: Path) -> None:
    resources = run_in("shop", in_code(emergency_roles=["shop-deploy"], emergency_scp_target_ids=["ou-ab12-cd34ef56"]),
                       stack="prod")
    [scp] = of_type(resources, "aws:organizations/policy:Policy")
    assert scp.inputs["type"] == "SERVICE_CONTROL_POLICY"
    assert json.loads(scp.inputs["content"]) == deny_document("prod")
    actions = {r.inputs["actionType"]: r.inputs for r in of_type(resources, ACTION)}
    assert set(actions) == {"APPLY_IAM_POLICY", "APPLY_SCP_POLICY"}
    assert actions["APPLY_SCP_POLICY"]["definition"]["scpActionDefinition"]["targetIds"] == ["ou-ab12-cd34ef56"]
    # The execution role may attach and detach that SCP too, and no other Organizations action.
    statements = json.loads(named(resources, "budget-action-policy").inputs["policy"])["Statement"]
    assert {a for s in statements for a in s["Action"] if a.startswith("organizations:")} == {
        "organizations:AttachPolicy", "organizations:DetachPolicy"}


def test_the_stop_role_may_stop_the_named_instances_through_ssm_only(team_project: Path) -> None:
    resources = run_in("shop", in_code(emergency_instance_ids=["i-0123456789abcdef0"],
                                       emergency_db_instance_ids=["shop-db"]))
    policy = json.loads(named(resources, "budget-action-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["StopTheNamedInstances"]["Resource"] == [
        "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"]
    assert statements["StopTheNamedDatabases"]["Resource"] == ["arn:aws:rds:eu-west-1:123456789012:db:shop-db"]
    for sid in ("StopTheNamedInstances", "StopTheNamedDatabases", "SeeInstanceStatus"):
        assert statements[sid]["Condition"] == {"ForAnyValue:StringEquals": {"aws:CalledVia": ["ssm.amazonaws.com"]}}
    assert statements["StartTheStopDocuments"]["Resource"] == [
        "arn:aws:ssm:eu-west-1::document/AWS-StopEC2Instance", "arn:aws:ssm:eu-west-1::document/AWS-StopRdsInstance",
        "arn:aws:ssm:eu-west-1:*:automation-definition/AWS-StopEC2Instance:*",
        "arn:aws:ssm:eu-west-1:*:automation-definition/AWS-StopRdsInstance:*",
        "arn:aws:ssm:eu-west-1:123456789012:automation-execution/*"]
    trust = json.loads(named(resources, "budget-action-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:budgets::123456789012:budget/shop-dev-backend*"}}


def test_without_targets_the_deny_policy_goes_to_the_deploying_principal(team_project: Path) -> None:
    # Under the mocks the program runs as the IAM user "preview": the stack's deployer.
    resources = run_in("shop", in_code(), stack="prod")
    [action] = [r.inputs for r in of_type(resources, ACTION)]
    assert action["definition"]["iamActionDefinition"]["users"] == ["preview"]


def test_a_deny_action_with_no_possible_target_is_refused_before_anything_is_created(
        team_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iam_principals, "deploy_principal_arn", lambda: "arn:aws:iam::123456789012:root")
    created: list[Any] = []
    with pytest.raises(ConfigError, match=r"test_budget_alerts_component\.py:\d+: emergency_roles: found <none; the "
                                          r"deploying principal is arn:aws:iam::123456789012:root>; expected the IAM "
                                          r"roles, users or groups"):
        created = run_in("shop", in_code(), stack="prod")
    assert created == []


@pytest.mark.parametrize(("arn", "target"), [
    ("arn:aws:sts::123456789012:assumed-role/ci-deploy/gh-actions-42", ("role", "ci-deploy")),
    ("arn:aws:iam::123456789012:user/teams/jdoe", ("user", "jdoe")),
    ("arn:aws-us-gov:sts::123456789012:assumed-role/deployer/s", ("role", "deployer")),
    ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/jdoe", None),
    ("arn:aws:iam::123456789012:root", None),
    ("arn:aws:sts::123456789012:federated-user/jdoe", None),
])
def test_which_deploying_principals_can_take_the_deny_policy(arn: str, target: tuple[str, str] | None) -> None:
    assert iam_principals.iam_target_of(arn) == target


def test_more_instances_than_a_stop_action_takes_are_refused(team_project: Path) -> None:
    ids = [f"i-{n:017x}" for n in range(101)]
    created: list[Any] = []
    with pytest.raises(BudgetLimitError, match=r"emergency_instance_ids: 101 instances; AWS Budgets' STOP action "
                                               r"takes 1 to 100"):
        created = run_in("shop", in_code(emergency_instance_ids=ids))
    assert created == []
    assert len(of_type(run_in("shop", in_code(emergency_instance_ids=ids[:100])), ACTION)) == 1


def test_the_platform_budget_files_keep_their_actions(team_project: Path) -> None:
    def program() -> None:
        finops.enforce(team="backend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(budgets_dir=str(ROOT / "budgets"),
                                                              emergency_db_instance_ids=["platform-db"]))

    dev = [r.inputs for r in of_type(run_in("shop", program), ACTION)]
    assert [(a["actionType"], a["approvalModel"]) for a in dev] == [("RUN_SSM_DOCUMENTS", "AUTOMATIC")]
    staging = [r.inputs for r in of_type(run_in("shop", program, stack="staging"), ACTION)]
    assert [(a["actionType"], a["approvalModel"]) for a in staging] == [("APPLY_IAM_POLICY", "MANUAL")]


# -- budgets per team and environment -------------------------------------------------------------

def test_team_budgets_count_the_teams_spend_in_this_environment_only(team_project: Path) -> None:
    resources = run_in("shop", in_code(teams={"frontend": 100}), stack="staging")
    budgets = budgets_of(resources)
    team = budgets["shop-staging-backend-frontend"]
    assert "costFilters" not in team or not team["costFilters"]
    terms = team["filterExpression"]["ands"]
    assert {(t["tags"]["key"], tuple(t["tags"]["values"])) for t in terms} == {
        ("Team", ("frontend",)), ("Environment", ("staging",))}
    assert all(t["tags"]["matchOptions"] == ["EQUALS"] for t in terms)
    assert team["metrics"] == "UnblendedCost"
    environment = budgets["shop-staging-backend"]
    assert environment["filterExpression"] == {"tags": {"key": "Environment", "values": ["staging"],
                                                        "matchOptions": ["EQUALS"]}}


# -- AWS's limits ------------------------------------------------------------------------------------

def _rules_with_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thresholds: list[int]) -> None:
    import yaml
    from finops_core.rules.loader import DEFAULT_RULES_FILE

    rules = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
    rules["budgetAlerts"]["thresholds"] = thresholds
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    monkeypatch.setenv("FINOPS_RULES_FILE", str(tmp_path / "rules.yaml"))


def test_ten_notifications_per_budget_are_allowed(team_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # AWS Budgets' Notification: "A budget can have up to ten notifications".
    _rules_with_thresholds(team_project, monkeypatch, [10, 20, 30, 40, 50, 60, 75, 80, 90])  # + forecast = 10
    [budget] = budgets_of(run_in("shop", in_code())).values()
    assert len(budget["notifications"]) == 10


def test_more_than_ten_notifications_per_budget_are_refused(team_project: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _rules_with_thresholds(team_project, monkeypatch, [10, 20, 30, 40, 50, 60, 70, 75, 80, 90])  # + forecast = 11
    created: list[Any] = []
    with pytest.raises(BudgetLimitError, match=r"11 notifications per budget .* AWS Budgets allows at most 10"):
        created = run_in("shop", in_code())
    assert created == []


def test_ten_email_subscribers_and_one_topic_per_notification(team_project: Path) -> None:
    ten = [f"person{i}@example.com" for i in range(10)]
    [budget] = budgets_of(run_in("shop", in_code(subscribers=ten))).values()
    assert all(len(n["subscriberEmailAddresses"]) == 10 and len(n["subscriberSnsTopicArns"]) == 1
               for n in budget["notifications"])
    with pytest.raises(ConfigError, match=r"subscribers: found <11 addresses>; expected at most 10"):
        run_in("shop", in_code(subscribers=[*ten, "one-more@example.com"]))
