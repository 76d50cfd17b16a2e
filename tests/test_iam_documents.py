"""Every IAM document the components create, read as parliament (Duo Labs' IAM linter) reads it:
the reference platform in its three environments, and the documents only other arguments make
(the daily cost report's roles, a STOP action naming EC2 instances, the SCP of an organization).

No finding above LOW. What parliament reports at LOW or below, or cannot judge, is explained in
EXPLAINED; a new finding fails the test until it is fixed or explained there."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import finops_components as finops
import pytest
from conftest import ROOT, run_in

parliament = pytest.importorskip("parliament", reason="parliament (a dev dependency) is the IAM linter under test")

# Where each kind of resource keeps its IAM document (engine names).
DOCUMENTS = {"aws:iam/role:Role": "assumeRolePolicy", "aws:iam/rolePolicy:RolePolicy": "policy",
             "aws:iam/policy:Policy": "policy", "aws:s3/bucketPolicy:BucketPolicy": "policy",
             "aws:sns/topicPolicy:TopicPolicy": "policy", "aws:kms/key:Key": "policy",
             "aws:organizations/policy:Policy": "content"}
SEVERITY = {"INFO": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
# (document type, issue) -> why it stays.
EXPLAINED: dict[tuple[str, str], str] = {
    # A key policy's Resource is always "*": it means the key the policy is attached to (KMS
    # developer guide, "Key policies"); parliament reads it as any key in the account.
    ("aws:kms/key:Key", "RESOURCE_STAR"): "a key policy's * is its own key",
}


ROLE_ARN = "arn:aws:iam::123456789012:role/the-role"


def _findings(document: str, trust: bool = False) -> list[Any]:
    """parliament's findings (with their configured severity). A trust policy has no Resource by
    IAM's grammar (its resource is the role itself), and parliament, which reads every document as
    an identity or resource policy, stops at that: so it reads the trust policy with the role as
    the resource, and checks its principal, action and condition keys (aws:SourceAccount ...)."""
    if trust:
        statements = json.loads(document)["Statement"]
        assert all("Resource" not in s and s["Action"] == "sts:AssumeRole" for s in statements), document
        document = json.dumps({**json.loads(document), "Statement": [{**s, "Resource": ROLE_ARN} for s in statements]})
    return [parliament.enhance_finding(f) for f in parliament.analyze_policy_string(document).findings]


def documents_of(resources: list[Any]) -> Iterator[tuple[str, str, str]]:
    for resource in resources:
        key = DOCUMENTS.get(resource.type)
        if key is not None and resource.inputs.get(key) is not None:
            yield resource.type, resource.name, str(resource.inputs[key])


@pytest.fixture(scope="module")
def every_document(shared_program_runs: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
                   ) -> list[tuple[str, str, str, str]]:
    found = [(stack, *doc) for stack in ("dev", "staging", "prod")
             for doc in documents_of(shared_program_runs(ROOT, stack).resources)]
    project = tmp_path_factory.mktemp("iam-project")
    (project / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")

    def program() -> None:
        finops.enforce(team="backend")
        finops.DailyCostReport("daily", finops.DailyCostReportArgs(team_emails={"backend": ["lead@example.com"]}))
        finops.BudgetAlerts("stop", finops.BudgetAlertsArgs(
            monthly_limit_usd=100, subscribers=["lead@example.com"], emergency_action="STOP_TAGGED_INSTANCES",
            emergency_instance_ids=["i-0123456789abcdef0"], emergency_db_instance_ids=["shop-db"]))
        finops.BudgetAlerts("deny", finops.BudgetAlertsArgs(
            monthly_limit_usd=100, subscribers=["lead@example.com"], emergency_action="DENY_NEW_COMPUTE",
            emergency_roles=["shop-deploy"], emergency_scp_target_ids=["ou-ab12-cd34ef56"]))

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        found += [("prod", *doc) for doc in documents_of(run_in("shop", program, stack="prod"))]
    return found


def test_the_documents_cover_every_role_and_policy_kind_the_components_make(
        every_document: list[tuple[str, str, str, str]]) -> None:
    kinds = {doc_type for _, doc_type, _, _ in every_document}
    assert {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
            "aws:sns/topicPolicy:TopicPolicy", "aws:organizations/policy:Policy", "aws:kms/key:Key",
            "aws:s3/bucketPolicy:BucketPolicy"} <= kinds
    assert all(json.loads(text)["Statement"] for _, _, _, text in every_document)


def test_parliament_finds_nothing_above_low_and_every_finding_is_explained(
        every_document: list[tuple[str, str, str, str]]) -> None:
    unexplained = []
    for stack, doc_type, name, text in every_document:
        for finding in _findings(text, doc_type == "aws:iam/role:Role"):
            detail = json.dumps(finding.detail, default=str)
            explained = (doc_type, finding.issue) in EXPLAINED
            if SEVERITY[finding.severity] > SEVERITY["LOW"] or not explained:
                unexplained.append((stack, name, finding.severity, finding.issue, detail))
    assert unexplained == [], "\n".join(map(str, unexplained))


def test_a_wider_document_would_be_found(tmp_path: Path) -> None:
    # The linter is live: the AutoShutdown role as it was (every instance, any node group) is flagged.
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "ec2:StopInstances", "ec2:StartInstances", "eks:UpdateNodegroupConfig"]}]})
    assert {f.issue for f in _findings(wide)} == {"RESOURCE_STAR"}
    # ... and so is a trust policy whose condition names a key the service does not set.
    bad_trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAcount": "123456789012"}}}]})
    assert any(SEVERITY[f.severity] > SEVERITY["LOW"] for f in _findings(bad_trust, trust=True))
