"""Protected data, stricter in prod than in dev: the audit log bucket, the cache, the alert topics;
and what the protection costs, in the estimate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import finops_components as finops
import pytest
from conftest import ROOT, named, run_cli
from finops_components.cache import rbac_id
from finops_core.rules import load_rules

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

SUBNETS = ["subnet-a", "subnet-b"]


def of_type(resources: list[Any], resource_type: str) -> list[Any]:
    return [r for r in resources if r.type == resource_type]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_audit_log_bucket_takes_tls_only_keeps_old_versions_and_locks_them_in_prod(
        mock_stack: Callable[..., list[Any]], stack: str) -> None:
    def program() -> None:
        finops.enforce()
        finops.AuditLogBucket("audit", finops.AuditLogBucketArgs(service="audit"))

    resources = mock_stack(program, stack)
    [statement] = json.loads(named(resources, "audit-tls-only").inputs["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = named(resources, "audit").outputs["arn"]
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    env = load_rules().environments[stack]
    [rule] = named(resources, "audit-lifecycle").inputs["rules"]
    expire = env.defaults.log_bucket_expire_days
    if expire:   # an overwritten log stays as long as the environment keeps logs, at least its log retention
        kept = rule["noncurrentVersionExpiration"]["noncurrentDays"]
        assert kept >= expire and kept >= env.log_retention.max_days
    else:        # prod keeps its audit logs, and every version of them
        assert "noncurrentVersionExpiration" not in rule and "expiration" not in rule
    locks = of_type(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    if stack == "prod":
        [lock] = locks
        assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 365}
    else:
        assert locks == []
    assert of_type(resources, "aws:kms/key:Key") == []   # the customer-managed key is an option


def test_the_audit_log_bucket_can_have_a_customer_managed_key(mock_stack: Callable[..., list[Any]]) -> None:
    def program() -> None:
        finops.enforce()
        finops.AuditLogBucket("audit", finops.AuditLogBucketArgs(service="audit", customer_managed_key=True))

    resources = mock_stack(program, "prod")
    [key] = of_type(resources, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    [encryption] = named(resources, "audit-encryption").inputs["rules"]
    assert encryption["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key.outputs["arn"]


def test_the_cache_has_its_own_security_group_and_an_iam_authenticated_user(
        mock_stack: Callable[..., list[Any]]) -> None:
    def program() -> None:
        finops.enforce()
        finops.Cache("sessions", finops.CacheArgs(subnet_ids=SUBNETS, service="ssa",
                                                  client_security_group_ids=["sg-app"]))

    resources = mock_stack(program, "prod")
    group = named(resources, "sessions").inputs
    [security_group] = of_type(resources, "aws:ec2/securityGroup:SecurityGroup")
    assert group["securityGroupIds"] == [security_group.outputs["id"]]
    [ingress] = security_group.inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["securityGroups"]) == (6379, 6379, ["sg-app"])
    users = {u.inputs["userName"]: u.inputs for u in of_type(resources, "aws:elasticache/user:User")}
    assert users["default"]["accessString"].startswith("off")          # the default user can do nothing
    [app] = [u for name, u in users.items() if name != "default"]
    assert app["authenticationMode"] == {"type": "iam"} and app["userId"] == app["userName"]
    [user_group] = of_type(resources, "aws:elasticache/userGroup:UserGroup")
    assert group["userGroupIds"] == [user_group.inputs["userGroupId"]]
    assert group["transitEncryptionEnabled"] is True


@pytest.mark.parametrize(("text", "expected"), [
    ("Shop_Prod--Sessions", "shop-prod-sessions"),
    ("7-cache", "c-7-cache"),
    ("ai-agent-security-platform-prod-sessions-default", None),
])
def test_cache_user_ids_are_valid_elasticache_ids(text: str, expected: str | None) -> None:
    found = rbac_id(text)
    assert len(found) <= 40 and found[0].isalpha() and "--" not in found and not found.endswith("-")
    if expected is not None:
        assert found == expected


def test_the_alert_topic_is_encrypted_with_a_key_budgets_may_publish_with(
        mock_stack: Callable[..., list[Any]]) -> None:
    def program() -> None:
        finops.enforce()
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(budgets_dir=str(ROOT / "budgets"),
                                                              emergency_db_instance_ids=["db"]))

    resources = mock_stack(program, "dev")
    key = named(resources, "budget-alerts-key")
    assert named(resources, "budget-alerts").inputs["kmsMasterKeyId"] == key.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publish = statements["ServicesPublish"]
    assert publish["Principal"] == {"Service": ["budgets.amazonaws.com"]}
    assert publish["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_the_report_topics_are_encrypted_with_a_key_the_function_may_publish_with(
        mock_stack: Callable[..., list[Any]]) -> None:
    def program() -> None:
        finops.enforce()
        finops.DailyCostReport("daily", finops.DailyCostReportArgs(team_emails={"backend": ["lead@example.com"]}))

    resources = mock_stack(program, "dev")
    key = named(resources, "daily-topics-key")
    assert named(resources, "daily-backend").inputs["kmsMasterKeyId"] == key.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    role_arn = named(resources, "daily-function-role").outputs["arn"]
    assert statements["FunctionsPublish"]["Principal"] == {"AWS": [role_arn]}


@pytest.fixture(scope="module")
def prod_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    out: Path = tmp_path_factory.mktemp("prod") / "prod.json"
    completed = run_cli("preview", "-s", "prod", "--json", "--output", str(out))
    return completed.returncode, json.loads(out.read_text())


def test_the_prod_preview_passes_with_the_protection_priced(prod_json: tuple[int, dict[str, Any]]) -> None:
    code, report = prod_json
    assert code == 0 and report["summary"]["mandatory"] == 0
    rows = {(r["type"], r["name"]): r for r in report["resources"]}
    # KMS keys at $1 a month each: the alert topic's and the cluster's secrets'.
    for name in ("budget-alerts-key", "platform-secrets-key"):
        assert rows[("aws:kms/key:Key", name)]["monthlyUsd"] == 1.0
    # The control-plane logs are a usage-priced line of their own (ingestion per GB), not left out unsaid.
    logs = rows[("aws:cloudwatch/logGroup:LogGroup", "platform-control-plane-logs")]
    assert logs["monthlyUsd"] in (None, 0) and "usage" in json.dumps(logs).lower()
    assert ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "audit-logs-object-lock") in rows
