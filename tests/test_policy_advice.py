"""The advisory FinOps advice policies over the Analyzer protocol (stack: dev): one failing and
one passing case each, and the saving they state."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Analyze, KeptPacks, labels, tags
from finops_preview.analyzer import PolicyPackProcess, ProviderRef, StackResource

US_EAST = ProviderRef("pulumi:providers:aws", "default", "urn:p", {"region": "us-east-1"})
T = tags()
PROD = tags(Environment="prod")


def advice(found: list[Any], policy: str) -> list[Any]:
    assert all(d.enforcement_level == "advisory" for d in found if d.policy.startswith("finops-advice-"))
    return [d for d in found if d.policy == policy]


@pytest.mark.parametrize(("policy", "resource_type", "bad", "good", "expected"), [
    ("finops-advice-gp3", "aws:ebs/volume:Volume", {"size": 100, "type": "gp2"}, {"size": 100, "type": "gp3"},
     "found type=gp2; allowed: gp3 (same baseline, cheaper); estimated saving $2.00/month"),
    ("finops-advice-gp3", "aws:ec2/instance:Instance",
     {"instanceType": "t4g.micro", "rootBlockDevice": {"volumeSize": 50, "volumeType": "gp2"}},
     {"instanceType": "t4g.micro", "rootBlockDevice": {"volumeSize": 50, "volumeType": "gp3"}},
     "rootBlockDevice.volumeType=gp2"),
    ("finops-advice-io1", "aws:ebs/volume:Volume", {"size": 100, "type": "io1"}, {"size": 100, "type": "gp3"},
     "found type=io1; allowed: gp3"),
    ("finops-advice-current-generation", "aws:ec2/instance:Instance", {"instanceType": "t2.micro"},
     {"instanceType": "t4g.micro"}, "found instanceType=t2.micro; allowed: t3.micro (current generation); "
                                    "estimated saving $0.88/month"),
    ("finops-advice-graviton", "aws:ec2/instance:Instance", {"instanceType": "t3.small"},
     {"instanceType": "t4g.small"}, "allowed: t4g.small (Graviton, arm64 images needed); estimated saving "
                                    "$2.92/month"),
    ("finops-advice-graviton", "aws:eks/nodeGroup:NodeGroup",
     {"instanceTypes": ["t3.medium"], "scalingConfig": {"maxSize": 2, "desiredSize": 1}},
     {"instanceTypes": ["t4g.medium"], "scalingConfig": {"maxSize": 2, "desiredSize": 1}},
     "found instanceTypes[0]=t3.medium"),
    ("finops-advice-log-retention", "aws:cloudwatch/logGroup:LogGroup", {}, {"retentionInDays": 7},
     "no retentionInDays (logs kept forever)"),
    ("finops-advice-dev-network", "aws:ec2/natGateway:NatGateway", {"subnetId": "s"}, None,
     "NAT gateway in dev: found a NAT gateway (per hour plus per GB); allowed: VPC endpoints or a shared egress "
     "VPC in dev; estimated saving $32.85/month"),
])
def test_resource_advice(analyze: Analyze, policy: str, resource_type: str, bad: dict[str, Any],
                         good: dict[str, Any] | None, expected: str) -> None:
    found = advice(analyze(resource_type, {**bad, "tags": T}, provider=US_EAST, with_advice=True),
                   policy)
    assert len(found) == 1 and expected in found[0].message, [d.message for d in found]
    assert "Fix:" in found[0].message
    if good is not None:
        passing = analyze(resource_type, {**good, "tags": T}, provider=US_EAST, with_advice=True)
        assert advice(passing, policy) == []


def test_nat_gateway_outside_dev_is_fine(analyze: Analyze) -> None:
    found = analyze("aws:ec2/natGateway:NatGateway", {"tags": PROD}, with_advice=True)
    assert advice(found, "finops-advice-dev-network") == []


def test_load_balancer_service_in_dev(analyze: Analyze) -> None:
    service = {"metadata": {"labels": labels()}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}
    found = advice(analyze("kubernetes:core/v1:Service", service, with_advice=True), "finops-advice-dev-network")
    assert len(found) == 1 and "found spec.type=LoadBalancer" in found[0].message
    service["spec"]["type"] = "ClusterIP"
    assert advice(analyze("kubernetes:core/v1:Service", service, with_advice=True), "finops-advice-dev-network") == []


def test_multi_az_outside_prod(analyze: Analyze) -> None:
    db = {"instanceClass": "db.t4g.micro", "allocatedStorage": 20, "multiAz": True, "tags": T}
    found = advice(analyze("aws:rds/instance:Instance", db, provider=US_EAST, with_advice=True),
                   "finops-advice-multi-az")
    assert len(found) == 1 and "Multi-AZ in dev: found multiAz=true" in found[0].message
    assert "estimated saving $13.98/month" in found[0].message  # the second copy of 11.68 + 20 GiB x 0.115
    single = analyze("aws:rds/instance:Instance", {**db, "multiAz": False}, with_advice=True)
    assert advice(single, "finops-advice-multi-az") == []


def _stack(*resources: tuple[str, str, dict[str, Any]]) -> list[StackResource]:
    return [StackResource(t, n, f"urn:pulumi:dev::p::{t}::{n}", p, provider=US_EAST) for t, n, p in resources]


def test_bucket_without_lifecycle_rules(pack: PolicyPackProcess) -> None:
    bucket = ("aws:s3/bucket:Bucket", "logs", {"id": "logs-123", "bucket": "logs-123", "tags": T})
    found = advice(pack.analyze_stack(_stack(bucket)), "finops-advice-bucket-lifecycle")
    assert len(found) == 1 and "Bucket 'logs': bucket lifecycle: found no lifecycle rules" in found[0].message
    assert found[0].urn.endswith("::logs")
    lifecycle = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs-lc",
                 {"bucket": "logs-123", "rules": [{"id": "r", "status": "Enabled"}]})
    assert advice(pack.analyze_stack(_stack(bucket, lifecycle)), "finops-advice-bucket-lifecycle") == []


def test_dev_compute_and_databases_without_auto_shutdown(pack: PolicyPackProcess) -> None:
    db = ("aws:rds/instance:Instance", "db", {"identifier": "db-1", "instanceClass": "db.t4g.micro",
                                              "allocatedStorage": 20, "tags": T})
    found = advice(pack.analyze_stack(_stack(db)), "finops-advice-dev-auto-shutdown")
    assert len(found) == 1 and "auto-shutdown in dev: found no stop/start schedule" in found[0].message
    assert "estimated saving $8.57/month" in found[0].message  # 103 of 168 hours of $13.98
    schedule = ("aws:scheduler/schedule:Schedule", "stop", {"target": {
        "arn": "arn:aws:scheduler:::aws-sdk:rds:stopDBInstance", "input": '{"DbInstanceIdentifier": "db-1"}'}})
    assert advice(pack.analyze_stack(_stack(db, schedule)), "finops-advice-dev-auto-shutdown") == []


def test_on_demand_node_groups_outside_prod_are_told_about_spot(analyze: Analyze) -> None:
    group = {"instanceTypes": ["t4g.medium"], "scalingConfig": {"maxSize": 2, "desiredSize": 2}, "tags": T}
    found = advice(analyze("aws:eks/nodeGroup:NodeGroup", group, provider=US_EAST, with_advice=True),
                   "finops-advice-spot")
    assert len(found) == 1 and "on-demand nodes in dev: found capacityType=ON_DEMAND" in found[0].message
    assert "at a typical 60 % spot discount" in found[0].message and "estimated saving $" in found[0].message
    spot = analyze("aws:eks/nodeGroup:NodeGroup", {**group, "capacityType": "SPOT"}, with_advice=True)
    assert advice(spot, "finops-advice-spot") == []


def test_unattached_volumes_and_idle_addresses(pack: PolicyPackProcess) -> None:
    volume = ("aws:ebs/volume:Volume", "data", {"id": "vol-1", "size": 100, "type": "gp3", "tags": T})
    eip = ("aws:ec2/eip:Eip", "ip", {"id": "eipalloc-1", "allocationId": "eipalloc-1", "domain": "vpc", "tags": T})
    found = pack.analyze_stack(_stack(volume, eip))
    volumes, addresses = advice(found, "finops-advice-unattached-volume"), advice(found, "finops-advice-idle-eip")
    assert len(volumes) == 1 and "unattached EBS volume" in volumes[0].message
    assert "estimated saving $8.00/month" in volumes[0].message  # 100 GiB x $0.08 (gp3, us-east-1)
    assert len(addresses) == 1 and "unassociated Elastic IP" in addresses[0].message
    assert "estimated saving $3.65/month" in addresses[0].message  # 730 h x $0.005
    attachment = ("aws:ec2/volumeAttachment:VolumeAttachment", "att", {"volumeId": "vol-1", "instanceId": "i-1",
                                                                      "deviceName": "/dev/sdf"})
    association = ("aws:ec2/eipAssociation:EipAssociation", "assoc", {"allocationId": "eipalloc-1",
                                                                       "instanceId": "i-1"})
    found = pack.analyze_stack(_stack(volume, eip, attachment, association))
    assert advice(found, "finops-advice-unattached-volume") == advice(found, "finops-advice-idle-eip") == []


def test_prod_gets_one_commitment_hint_for_its_steady_spend(shared_packs: KeptPacks) -> None:
    from conftest import PACK_DIR

    db = ("aws:rds/instance:Instance", "db", {"instanceClass": "db.r6g.large", "allocatedStorage": 100,
                                              "tags": PROD})
    nodes = ("aws:eks/nodeGroup:NodeGroup", "nodes", {"instanceTypes": ["m7g.xlarge"], "tags": PROD,
                                                      "scalingConfig": {"desiredSize": 3, "maxSize": 6}})
    resources = [StackResource(t, n, f"urn:pulumi:prod::p::{t}::{n}", p, provider=US_EAST) for t, n, p in (db, nodes)]
    with shared_packs(PACK_DIR, stack="prod", project="p") as prod:
        prod.handshake()
        found = advice(prod.analyze_stack(resources), "finops-advice-commitment")
    assert len(found) == 1 and "(2 resources)" in found[0].message
    assert "a 1-year Savings Plan or reserved capacity" in found[0].message and "at 30 %" in found[0].message
