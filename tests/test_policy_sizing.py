"""The per-environment sizing policies over the Analyzer protocol (stack: dev)."""

from __future__ import annotations

import pytest
from conftest import PACK_DIR, UNKNOWN, Analyze, KeptPacks, mandatory, tags

T = tags()


@pytest.mark.parametrize(("resource_type", "props", "policy", "expected"), [
    ("aws:ec2/instance:Instance", {"instanceType": "m5.24xlarge"}, "finops-instance-size",
     "found instanceType=m5.24xlarge (96 vCPU, 384 GiB, no GPU); allowed: at most 2 vCPU, 8 GiB memory, no GPU in dev"),
    ("aws:ec2/instance:Instance", {"instanceType": "g4dn.xlarge"}, "finops-instance-size", "1 GPU/accelerator"),
    ("aws:ec2/instance:Instance", {"instanceType": "m5.huge"}, "finops-instance-size",
     "not in the instance catalogue (nearest known: m5.large"),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"instanceType": "c5.4xlarge"}, "finops-instance-size", "c5.4xlarge"),
    ("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {"instanceType": "r5.large"}, "finops-instance-size",
     "16 GiB"),
    ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["t3.medium", "m5.2xlarge"],
                                     "scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 1}},
     "finops-instance-size", "instanceTypes[1]=m5.2xlarge"),
    ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["t3.medium"],
                                     "scalingConfig": {"minSize": 1, "maxSize": 5, "desiredSize": 1}},
     "finops-node-group-size", "found scalingConfig.maxSize=5 nodes; allowed: at most 3 nodes in dev"),
    ("aws:rds/instance:Instance", {"instanceClass": "db.r5.8xlarge", "allocatedStorage": 20},
     "finops-database-size", "instanceClass=db.r5.8xlarge (32 vCPU, 256 GiB"),
    ("aws:rds/instance:Instance", {"instanceClass": "db.t4g.micro", "allocatedStorage": 500},
     "finops-database-size", "found allocatedStorage=500 GiB; allowed: at most 100 GiB in dev"),
    ("aws:rds/instance:Instance", {"instanceClass": "db.t4g.micro", "allocatedStorage": 20, "multiAz": True},
     "finops-database-size", "found multiAz=true; allowed: multiAz=false in dev"),
    ("aws:rds/clusterInstance:ClusterInstance", {"instanceClass": "db.r6g.4xlarge"}, "finops-database-size",
     "db.r6g.4xlarge"),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.r5.large"}, "finops-cache-size", "cache.r5.large"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {"nodeType": "cache.m5.4xlarge"}, "finops-cache-size",
     "cache.m5.4xlarge"),
    ("aws:ebs/volume:Volume", {"size": 200, "availabilityZone": "eu-west-1a"}, "finops-ebs-volume-size",
     "found size=200 GiB; allowed: at most 100 GiB in dev"),
    ("aws:ec2/instance:Instance", {"instanceType": "t3.micro", "rootBlockDevice": {"volumeSize": 500}},
     "finops-ebs-volume-size", "rootBlockDevice.volumeSize=500 GiB"),
    ("aws:lambda/function:Function", {"memorySize": 2048}, "finops-lambda-memory",
     "found memorySize=2048 MB; allowed: at most 1024 MB in dev"),
    ("aws:cloudwatch/logGroup:LogGroup", {}, "finops-log-retention", "found retentionInDays not set"),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 0}, "finops-log-retention", "never expire"),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 90}, "finops-log-retention",
     "found retentionInDays=90 days; allowed: at most 14 days in dev"),
])
def test_oversized_resources_in_dev_get_one_mandatory_violation(
    analyze: Analyze, resource_type: str, props: dict[str, object], policy: str, expected: str,
) -> None:
    found = mandatory(analyze(resource_type, {**props, "tags": T}, name="big"))
    assert [d.policy for d in found] == [policy]
    assert expected in found[0].message
    assert f"{resource_type} 'big'" in found[0].message and "Fix:" in found[0].message


@pytest.mark.parametrize(("resource_type", "props"), [
    ("aws:ec2/instance:Instance", {"instanceType": "t3.large", "rootBlockDevice": {"volumeSize": 30}}),
    ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["t3.medium"], "scalingConfig": {"maxSize": 3}, "diskSize": 50}),
    ("aws:rds/instance:Instance", {"instanceClass": "db.t4g.large", "allocatedStorage": 100, "multiAz": False}),
    ("aws:rds/clusterInstance:ClusterInstance", {"instanceClass": "db.serverless"}),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.t4g.small"}),
    ("aws:ebs/volume:Volume", {"size": 100}),
    ("aws:lambda/function:Function", {"memorySize": 1024}),
    ("aws:lambda/function:Function", {}),
    ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 14}),
])
def test_right_sized_resources_in_dev_pass(analyze: Analyze, resource_type: str, props: dict[str, object]) -> None:
    assert analyze(resource_type, {**props, "tags": T}) == []


def test_the_environment_tag_decides_the_caps(analyze: Analyze) -> None:
    # Tagged prod: judged by prod's caps (m5.8xlarge fits), though the tag itself is flagged
    # for not matching the dev stack.
    found = analyze("aws:ec2/instance:Instance", {"instanceType": "m5.8xlarge", "tags": tags(Environment="prod")})
    assert "finops-instance-size" not in {d.policy for d in found}


def test_unknown_sizes_are_advisory(analyze: Analyze) -> None:
    found = analyze("aws:ec2/instance:Instance", {"instanceType": UNKNOWN, "tags": T})
    assert mandatory(found) == []
    assert [d.enforcement_level for d in found] == ["advisory"]
    assert ".instanceType can't be known during preview" in found[0].message


def test_stack_name_decides_when_there_is_no_environment_tag(shared_packs: KeptPacks) -> None:
    with shared_packs(PACK_DIR, stack="prod", project="p") as prod:
        prod.handshake()
        untagged_env = tags(Environment=None)
        found = prod.analyze("aws:ec2/instance:Instance", "x", {"instanceType": "m5.8xlarge", "tags": untagged_env})
        assert {d.policy for d in mandatory(found)} == {"finops-required-tags"}  # only the missing tag
        found = prod.analyze("aws:ec2/instance:Instance", "x", {"instanceType": "m5.24xlarge", "tags": tags(
            Environment="prod")})
        assert {d.policy for d in mandatory(found)} == {"finops-instance-size"}
