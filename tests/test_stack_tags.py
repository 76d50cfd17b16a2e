"""Stack tags (pulumi-policy 1.19+: the tags of ConfigureStack) give a stack's Team and Environment
to every resource that does not say, over the Analyzer protocol.

The stack is named ``sandbox``, which names no environment: only its tags can say it is dev.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PACK_DIR, PROJECT, ROOT, labels, mandatory, tags
from finops_preview.analyzer import PolicyPackProcess, StackResource

EC2 = "aws:ec2/instance:Instance"
STACK_TAGS = {"Team": "backend", "environment": "dev", "pulumi:project": PROJECT}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, stack="sandbox", project=PROJECT) as process:
        process.handshake(stack_tags=STACK_TAGS)
        yield process


def untagged_by_stack(**changes: str | None) -> dict[str, str]:
    """Valid tags without Team and Environment (but those in ``changes``)."""
    return tags(**{"Team": None, "Environment": None, **changes})


def test_the_stack_tags_give_team_and_environment_to_untagged_resources(sandbox: PolicyPackProcess) -> None:
    assert mandatory(sandbox.analyze(EC2, "web", {"instanceType": "t3.micro", "tags": untagged_by_stack()})) == []


def test_without_stack_tags_the_same_resource_is_refused(sandbox: PolicyPackProcess) -> None:
    try:
        sandbox.handshake(stack_tags={})
        [missing] = mandatory(sandbox.analyze(EC2, "web", {"instanceType": "t3.micro", "tags": untagged_by_stack()}),
                              "finops-required-tags")
        assert "found no Environment, Team" in missing.message
    finally:
        sandbox.handshake(stack_tags=STACK_TAGS)


def test_the_stack_environment_brings_its_caps(sandbox: PolicyPackProcess) -> None:
    [refused] = mandatory(sandbox.analyze(EC2, "big", {"instanceType": "m5.xlarge", "tags": untagged_by_stack()}),
                          "finops-instance-size")
    assert "in dev" in refused.message
    # The resource's own tag says otherwise, and wins: prod's caps hold an m5.xlarge.
    assert mandatory(sandbox.analyze(EC2, "big", {"instanceType": "m5.xlarge",
                                                  "tags": untagged_by_stack(Environment="prod")})) == []


def test_a_resources_own_team_wins_and_a_stack_team_is_judged_like_a_tag(sandbox: PolicyPackProcess) -> None:
    own = untagged_by_stack(Team="frontend")
    assert mandatory(sandbox.analyze(EC2, "web", {"instanceType": "t3.micro", "tags": own})) == []
    try:
        sandbox.handshake(stack_tags={"Team": "Marketing", "Environment": "dev"})
        [refused] = mandatory(sandbox.analyze(EC2, "web", {"instanceType": "t3.micro", "tags": untagged_by_stack()}))
        assert "found Team='Marketing'" in refused.message
    finally:
        sandbox.handshake(stack_tags=STACK_TAGS)


def test_kubernetes_objects_take_the_stack_team_where_their_labels_do_not_say(sandbox: PolicyPackProcess) -> None:
    metadata = {"name": "api", "labels": {k: v for k, v in labels().items() if k not in ("team", "environment")}}
    assert mandatory(sandbox.analyze("kubernetes:core/v1:ConfigMap", "api", {"metadata": metadata})) == []


def test_the_stack_policies_judge_the_tagged_environments_budget(sandbox: PolicyPackProcess, tmp_path: Path) -> None:
    budgets = tmp_path / "budgets"
    budgets.mkdir()
    shutil.copy(ROOT / "budgets" / "dev.yaml", budgets)
    usage = tmp_path / "usage.yaml"
    usage.write_text("resources:\n  logs:\n    monthlyUsd: 5000\n")
    try:
        sandbox.configure({"finops-cost-vs-budget": {"budgetsDir": str(budgets), "usageFile": str(usage)}})
        bucket = StackResource("aws:s3/bucket:Bucket", "logs", "urn:pulumi:sandbox::p::aws:s3/bucket:Bucket::logs",
                               {"bucket": "logs", "tags": untagged_by_stack()})
        [refused] = mandatory(sandbox.analyze_stack([bucket]), "finops-cost-vs-budget")
        assert "of the dev budget" in refused.message
    finally:
        sandbox.configure({})
