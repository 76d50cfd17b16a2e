"""finops-required-tags over the Analyzer protocol."""

from __future__ import annotations

import json

from conftest import UNKNOWN, Analyze, mandatory, tags
from finops_preview.analyzer import ProviderRef

EC2 = "aws:ec2/instance:Instance"
POLICY = "finops-required-tags"


def aws_provider(inputs: dict[str, object]) -> ProviderRef:
    return ProviderRef("pulumi:providers:aws", "default", "urn:pulumi:dev::p::pulumi:providers:aws::default", inputs)


def test_untagged_instance_is_a_mandatory_violation(analyze: Analyze) -> None:
    found = mandatory(analyze(EC2, {"instanceType": "t3.micro"}, name="web"), POLICY)
    assert len(found) == 1
    message = found[0].message
    assert "aws:ec2/instance:Instance 'web'" in message
    assert "found no Project, Environment, Team, Service, Owner, CostCenter, Phase" in message
    assert "Team = one of backend, frontend, devops, security" in message
    assert "Fix:" in message and "exception" in message


def test_fully_tagged_micro_instance_in_dev_passes_every_policy(analyze: Analyze) -> None:
    assert analyze(EC2, {"instanceType": "t3.micro", "tags": tags()}) == []


def test_value_outside_the_allowed_set_names_found_and_allowed(analyze: Analyze) -> None:
    found = mandatory(analyze(EC2, {"instanceType": "t3.micro", "tags": tags(Team="marketing", Owner="J Doe")}),
                      POLICY)
    messages = "\n".join(d.message for d in found)
    assert "found Team='marketing'" in messages and "allowed: one of backend, frontend, devops, security" in messages
    assert "found Owner='J Doe'" in messages and "^[a-z][a-z0-9._-]{0,61}[a-z0-9]$" in messages
    assert len(found) == 2


def test_provider_default_tags_count(analyze: Analyze) -> None:
    provider = aws_provider({"region": "eu-west-1", "defaultTags": {"tags": tags()}})
    assert analyze(EC2, {"instanceType": "t3.micro"}, provider=provider) == []


def test_provider_default_tags_json_encoded_as_from_stack_config(analyze: Analyze) -> None:
    provider = aws_provider({"defaultTags": json.dumps({"tags": tags()})})
    assert analyze(EC2, {"instanceType": "t3.micro"}, provider=provider) == []


def test_resource_tags_override_provider_defaults(analyze: Analyze) -> None:
    provider = aws_provider({"defaultTags": {"tags": tags()}})
    found = mandatory(analyze(EC2, {"instanceType": "t3.micro", "tags": {"Team": "nobody"}}, provider=provider),
                      POLICY)
    assert len(found) == 1 and "Team='nobody'" in found[0].message


def test_tags_all_counts(analyze: Analyze) -> None:
    assert analyze(EC2, {"instanceType": "t3.micro", "tagsAll": tags()}) == []


def test_tags_that_are_not_a_map_are_a_violation_not_a_crash(analyze: Analyze) -> None:
    for bad in ("Team=backend", ["Team", "backend"], 42):
        found = mandatory(analyze(EC2, {"instanceType": "t3.micro", "tags": bad}), POLICY)
        assert any("tags must be a map" in d.message for d in found), bad
    found = mandatory(analyze(EC2, {"instanceType": "t3.micro", "tags": ["Team", "backend"]}), POLICY)
    assert any("found tags is a list ['Team', 'backend'], not a map" in d.message for d in found)


def test_autoscaling_group_tags_given_as_a_map_are_told_to_be_blocks(analyze: Analyze) -> None:
    found = mandatory(analyze("aws:autoscaling/group:Group", {"maxSize": 2, "tags": {"Team": "backend"}}), POLICY)
    [shape] = [d.message for d in found if "key/value blocks" in d.message]
    assert "tags must be key/value blocks: found tags is a map {'Team': 'backend'}" in shape
    assert "propagateAtLaunch" in shape and "must be a map" not in shape


def test_autoscaling_group_tag_blocks_are_read(analyze: Analyze) -> None:
    blocks = [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in tags().items()]
    assert mandatory(analyze("aws:autoscaling/group:Group", {"maxSize": 2, "tags": blocks}), POLICY) == []
    found = mandatory(analyze("aws:autoscaling/group:Group", {"maxSize": 2, "tags": blocks[:-1]}), POLICY)
    assert len(found) == 1 and "found no Phase" in found[0].message


def test_non_taggable_types_are_not_judged(analyze: Analyze) -> None:
    # aws:iam/rolePolicyAttachment has no tags input in pulumi-aws.
    assert analyze("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "a"}) == []


def test_unknown_tags_are_advisory_during_preview(analyze: Analyze) -> None:
    result = analyze(EC2, {"instanceType": "t3.micro", "tags": UNKNOWN})
    assert mandatory(result) == []
    assert any("can't be known during preview" in d.message for d in result)
    partly = analyze(EC2, {"instanceType": "t3.micro", "tags": tags(Owner=UNKNOWN)})
    assert mandatory(partly) == []


def test_environment_tag_must_match_the_stack(analyze: Analyze) -> None:
    # The pack runs for stack "dev": a resource claiming prod would escape dev's caps.
    found = mandatory(analyze(EC2, {"instanceType": "m5.8xlarge", "tags": tags(Environment="prod")}))
    assert [d.policy for d in found] == [POLICY]
    assert "Environment=prod in stack dev" in found[0].message


def test_remediate_level_fills_in_the_tags_it_can_derive(pack, analyze: Analyze) -> None:
    pack.configure({"finops-required-tags": "remediate"})
    partial = tags(Environment=None, Project=None)
    remediations = pack.remediate(EC2, "web", {"instanceType": "t3.micro", "tags": partial})
    assert [(r.policy, r.diagnostic) for r in remediations] == [("finops-required-tags", "")]
    fixed = remediations[0].properties
    assert fixed is not None
    assert fixed["tags"] == {**partial, "Project": "ai-agent-security-platform", "Environment": "dev"}
    assert fixed["instanceType"] == "t3.micro"
    # What remains (a person's answer) is still a violation after remediation, reported as mandatory.
    after = analyze(EC2, {"instanceType": "t3.micro", "tags": {"Project": "ai-agent-security-platform",
                                                               "Environment": "dev"}})
    assert len(mandatory(after, POLICY)) == 1 and "found no Team, Service, Owner" in after[0].message
    assert pack.remediate(EC2, "web", {"instanceType": "t3.micro", "tags": tags()}) == []  # nothing to add
