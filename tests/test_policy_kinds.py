"""Every kind in the table of resource kinds, judged over the Analyzer protocol in dev and in prod.

The cases are the rows' ``oversizedInDev`` examples (``core/finops_core/data/kinds``): inputs as
pulumi_aws sends them (camelCase). In the dev stack each breaks one cap and gets exactly one
mandatory violation from the named policy; the same resource tagged for prod in the prod stack fits
prod's caps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import PACK_DIR, PROJECT, UNKNOWN, Analyze, labels, mandatory, tags
from finops_core.catalogue import lookup
from finops_core.kinds import OversizedExample, kinds_table
from finops_preview.analyzer import Diagnostic, PolicyPackProcess
from kind_cases import case_id, oversized_cases, with_tags

OVERSIZED = oversized_cases()

@pytest.fixture(scope="module")
def prod_pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, stack="prod", project=PROJECT) as process:
        process.handshake()
        yield process


def _guardrails(found: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in found if not d.policy.startswith("finops-advice-")]


@pytest.mark.parametrize(("resource_type", "example"), OVERSIZED, ids=[case_id(t, e.says) for t, e in OVERSIZED])
def test_each_kind_is_judged_in_dev_and_allowed_in_prod(
    analyze: Analyze, prod_pack: PolicyPackProcess, resource_type: str, example: OversizedExample,
) -> None:
    found = mandatory(analyze(resource_type, with_tags(resource_type, example.inputs, "dev"), name="big"))
    assert [d.policy for d in found] == [example.policy], [d.message for d in found]
    assert example.says in found[0].message
    assert f"{resource_type} 'big'" in found[0].message
    assert "Fix:" in found[0].message and "waiver" in found[0].message
    in_prod = mandatory(_guardrails(prod_pack.analyze(resource_type, "big",
                                                      with_tags(resource_type, example.inputs, "prod"))))
    assert in_prod == [], [d.message for d in in_prod]


def test_every_kind_with_sizes_has_an_oversized_example_for_each_policy_it_meets() -> None:
    """A row that declares caps shows one of them broken; the dev examples are the table's own."""
    missing = [t for t, kind in kinds_table().items() if kind.sizes and not kind.examples.oversized_in_dev]
    assert missing == []


def test_unknown_capacity_at_preview_is_not_a_violation(analyze: Analyze) -> None:
    found = analyze("aws:msk/cluster:Cluster", {"numberOfBrokerNodes": UNKNOWN, "tags": tags(),
                                                "brokerNodeGroupInfo": {"instanceType": "kafka.t3.small"}})
    assert mandatory(found) == []
    assert any("can't run policy" in d.message for d in found)


def test_a_truly_unknown_type_is_refused_naming_the_nearest(analyze: Analyze) -> None:
    found = mandatory(analyze("aws:opensearch/domain:Domain",
                              {"clusterConfig": {"instanceType": "r6g.larg.search"}, "tags": tags()}))
    assert len(found) == 1 and "not in the instance catalogue" in found[0].message
    assert "r6g.large.search" in found[0].message


@pytest.mark.parametrize("name", ["p2.xlarge", "p3.16xlarge", "g3.4xlarge", "g2.2xlarge", "f1.2xlarge",
                                  "ml.p3.8xlarge", "ml.g5.48xlarge", "ultrawarm1.medium.search", "or1.large.search",
                                  "express.m7g.large", "ra3.4xlarge", "dc2.large", "db.x2g.large",
                                  "cache.m3.medium", "db.r4.large", "kafka.m7g.large", "m6g.large.elasticsearch"])
def test_the_catalogue_knows_every_service_spelling(name: str) -> None:
    known = lookup(name)
    assert known is not None and known.vcpus > 0 and known.memory_mib > 0 and known.source


def test_every_pulumi_aws_instance_type_is_in_the_catalogue() -> None:
    import pulumi_aws

    missing = [m.value for m in pulumi_aws.ec2.InstanceType if lookup(m.value) is None]
    assert missing == []


def test_a_gpu_container_in_dev_is_refused(analyze: Analyze) -> None:
    pod = {"metadata": {"labels": labels()},
           "spec": {"containers": [{"name": "trainer", "image": "x",
                                    "resources": {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}}}]}}
    found = mandatory(analyze("kubernetes:core/v1:Pod", pod))
    assert [d.policy for d in found] == ["finops-container-limits"]
    assert "limits.nvidia.com/gpu='1'" in found[0].message and "no GPU or accelerator in dev" in found[0].message


def test_an_environment_label_that_contradicts_the_stack_is_refused(analyze: Analyze) -> None:
    deployment = {"metadata": {"labels": labels(Environment="prod")},
                  "spec": {"template": {"metadata": {"labels": labels(Environment="prod")},
                                        "spec": {"containers": [{"name": "a", "image": "x", "resources": {
                                            "limits": {"cpu": "4", "memory": "16Gi"}}}]}}}}
    found = mandatory(analyze("kubernetes:apps/v1:Deployment", deployment))
    assert any(d.policy == "finops-required-labels" and "environment=prod in stack dev" in d.message for d in found)


def test_launch_template_tag_specifications_must_hold_allowed_values(analyze: Analyze) -> None:
    template = {"instanceType": "t3.micro", "tags": tags(),
                "tagSpecifications": [{"resourceType": "instance", "tags": {"Team": "data-science", "Owner": "jdoe"}}]}
    found = mandatory(analyze("aws:ec2/launchTemplate:LaunchTemplate", template))
    assert [d.policy for d in found] == ["finops-required-tags"]
    assert "tagSpecifications[0].tags" in found[0].message and "Team='data-science'" in found[0].message


def test_a_feature_tag_is_optional_but_checked(analyze: Analyze) -> None:
    assert mandatory(analyze("aws:s3/bucket:Bucket", {"tags": tags()})) == []
    assert mandatory(analyze("aws:s3/bucket:Bucket", {"tags": {**tags(), "Feature": "agent-sandbox"}})) == []
    found = mandatory(analyze("aws:s3/bucket:Bucket", {"tags": {**tags(), "Feature": "Agent Sandbox!"}}))
    assert len(found) == 1 and "Feature='Agent Sandbox!'" in found[0].message
