"""The estimate: every cost component fixed by configuration, priced through the kinds table's
pricing models; typed usage amounts; unpriced rows that say why; price books."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import UNKNOWN
from finops_core import ConfigError, estimate_resource
from finops_core.estimate import Estimate, estimate_kind
from finops_core.kinds import kind_of, kinds_table
from finops_core.price_book import load_price_book
from finops_core.quote import MODELS
from finops_core.related import RelatedResource, related_lookup
from finops_core.usage import load_usage_file, unused_keys

US = "us-east-1"
RDS = "aws:rds/instance:Instance"
EC2 = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def usd(resource_type: str, inputs: Mapping[str, Any], region: str = US, **options: Any) -> float | None:
    estimate = estimate_resource(resource_type, inputs, region, **options)
    assert estimate is not None, resource_type
    return estimate.monthly_usd


def lookup(found: Mapping[str, Mapping[str, Any]]) -> Any:
    return lambda resource_type, reference: found.get(resource_type, {}).get(reference)


# --- the table and its models ------------------------------------------------------------------

def test_every_kind_names_a_registered_model_and_declared_roles() -> None:
    for resource_type, kind in kinds_table().items():
        if not kind.price:
            continue
        assert kind.price["model"] in MODELS, resource_type
        for key in ("per",):
            if key in kind.price:
                assert kind.has(kind.price[key]), (resource_type, key)
        for line in kind.price.get("lines", []):
            assert "per" not in line or kind.has(line["per"]), resource_type


# --- EBS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("inputs", "expected"), [
    ({"size": 100, "type": "io1", "iops": 3000}, 100 * 0.125 + 3000 * 0.065),
    ({"size": 100, "type": "io2", "iops": 1000}, 100 * 0.125 + 1000 * 0.065),
    ({"size": 100, "type": "gp3"}, 100 * 0.08),
    ({"size": 100, "type": "gp3", "iops": 3000, "throughput": 125}, 100 * 0.08),
    ({"size": 100, "type": "gp3", "iops": 6000, "throughput": 250}, 100 * 0.08 + 3000 * 0.005 + 125 * 0.04),
    ({"size": 100}, 100 * 0.10),  # the provider's default type, gp2
])
def test_ebs_volumes_price_iops_and_throughput(inputs: dict[str, Any], expected: float) -> None:
    assert usd("aws:ebs/volume:Volume", inputs) == round(expected, 2)


def test_ec2_prices_block_devices_and_the_ebs_optimised_surcharge_of_older_types() -> None:
    devices = {"instanceType": "m5.large", "rootBlockDevice": {"volumeSize": 20, "volumeType": "gp3"},
               "ebsBlockDevices": [{"volumeSize": 50}, {"volumeSize": 40, "volumeType": "io1", "iops": 1000}]}
    assert usd(EC2, devices) == round(0.096 * 730 + 20 * 0.08 + 50 * 0.10 + 40 * 0.125 + 1000 * 0.065, 2)
    r3 = usd(EC2, {"instanceType": "r3.xlarge", "ebsOptimized": True})
    assert r3 == round((0.333 + 0.02) * 730 + 8 * 0.08, 2)
    # Current generations include EBS optimisation.
    assert usd(EC2, {"instanceType": "m5.large", "ebsOptimized": True}) == usd(EC2, {"instanceType": "m5.large"})


@pytest.mark.parametrize(("resource_type", "inputs"), [
    (EC2, {"instanceType": "m3.large"}),
    (EC2, {"instanceType": "r3.2xlarge"}),
    (RDS, {"engine": "postgres", "instanceClass": "db.r4.large"}),
    (RDS, {"engine": "mysql", "instanceClass": "db.m4.xlarge"}),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.m3.medium"}),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.r3.large"}),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.r7g.xlarge"}),
    ("aws:elasticache/cluster:Cluster", {"nodeType": "cache.t2.micro"}),
])
def test_older_and_wider_families_are_priced(resource_type: str, inputs: dict[str, Any]) -> None:
    found = usd(resource_type, inputs)
    assert found is not None and found > 0


# --- RDS ---------------------------------------------------------------------------------------

def test_rds_is_priced_by_engine() -> None:
    prices = {engine: usd(RDS, {"engine": engine, "instanceClass": "db.t3.large", "allocatedStorage": 20})
              for engine in ("postgres", "mysql", "mariadb", "oracle-se2", "sqlserver-ex", "sqlserver-web")}
    storage = 20 * 0.115
    assert prices == {"postgres": round(0.145 * 730 + storage, 2), "mysql": round(0.136 * 730 + storage, 2),
                      "mariadb": round(0.136 * 730 + storage, 2), "oracle-se2": round(0.30 * 730 + storage, 2),
                      "sqlserver-ex": round(0.162 * 730 + storage, 2),
                      "sqlserver-web": round(0.232 * 730 + storage, 2)}
    byol = usd(RDS, {"engine": "oracle-se2", "licenseModel": "bring-your-own-license", "instanceClass": "db.t3.large"})
    assert byol == round(0.136 * 730 + storage, 2)


def test_multi_az_is_the_multi_az_price_not_twice_single_az() -> None:
    single = usd(RDS, {"engine": "mysql", "instanceClass": "db.t4g.small", "allocatedStorage": 20})
    multi = usd(RDS, {"engine": "mysql", "instanceClass": "db.t4g.small", "allocatedStorage": 20, "multiAz": True})
    assert single == round(0.032 * 730 + 20 * 0.115, 2)
    assert multi == round(0.065 * 730 + 20 * 0.23, 2) != round(2 * (single or 0), 2)


def test_rds_io1_minimum_and_provisioned_iops() -> None:
    small = usd(RDS, {"engine": "mysql", "instanceClass": "db.t3.large", "storageType": "io1",
                      "allocatedStorage": 50, "iops": 1200})
    assert small == round(0.136 * 730 + 100 * 0.125 + 1200 * 0.10, 2)     # billed at 100 GiB
    estimate = estimate_resource(RDS, {"engine": "mysql", "instanceClass": "db.t3.large", "storageType": "io1",
                                       "allocatedStorage": 50}, US)
    assert estimate is not None and "100 GiB minimum" in estimate.basis
    assert estimate.monthly_usd == round(0.136 * 730 + 100 * 0.125 + 1000 * 0.10, 2)  # at least 1,000 IOPS


@pytest.mark.parametrize(("size", "iops", "throughput", "extra"), [
    (100, 3000, 125, 0.0),
    (100, 5000, 200, 2000 * 0.02 + 75 * 0.08),
    (400, 12000, 500, 0.0),                              # the higher baseline from 400 GiB
    (400, 14000, 500, 2000 * 0.02),
])
def test_rds_gp3_baselines(size: int, iops: int, throughput: int, extra: float) -> None:
    found = usd(RDS, {"engine": "postgres", "instanceClass": "db.t4g.small", "storageType": "gp3",
                      "allocatedStorage": size, "iops": iops, "storageThroughput": throughput})
    assert found == round(0.032 * 730 + size * 0.115 + extra, 2)


def test_an_aurora_instance_whose_version_comes_from_the_cluster_is_priced_at_the_standard_rate() -> None:
    # Infracost prices an aws_rds_cluster_instance db.t3.medium Aurora MySQL at $59.86
    # (rds_cluster_instance_test.golden); at preview the version is unknown (it is the cluster's).
    inputs = {"clusterIdentifier": UNKNOWN, "engine": "aurora-mysql", "instanceClass": "db.t3.medium"}
    estimate = estimate_resource("aws:rds/clusterInstance:ClusterInstance", {**inputs, "engineVersion": UNKNOWN}, US)
    assert estimate is not None and estimate.monthly_usd == 59.86 and estimate.unpriced is None
    assert "Extended Support not judged: engineVersion not known until the update" in estimate.basis
    # A known version says nothing of the kind, and a version past standard support adds its charge.
    assert "not judged" not in (estimate_resource("aws:rds/clusterInstance:ClusterInstance",
                                                  {**inputs, "engineVersion": "8.0.mysql_aurora.3.08.0"}, US)
                                or estimate).basis
    old = usd("aws:rds/clusterInstance:ClusterInstance", {**inputs, "engineVersion": "5.7.mysql_aurora.2.11.2"})
    assert old is not None and old > 59.86


def test_aurora_instances_at_aurora_rates() -> None:
    aurora = usd("aws:rds/clusterInstance:ClusterInstance", {"engine": "aurora-postgresql",
                                                             "instanceClass": "db.r4.large"})
    rds = usd(RDS, {"engine": "postgres", "instanceClass": "db.r4.large", "allocatedStorage": 0})
    assert aurora == round(0.29 * 730, 2) and rds == round(0.25 * 730, 2)
    cluster = {"aws:rds/cluster:Cluster": {"main": {"engine": "aurora-postgresql", "storageType": "aurora-iopt1"}}}
    member = {"engine": "aurora-postgresql", "clusterIdentifier": "main", "instanceClass": "db.r4.large"}
    optimized = usd("aws:rds/clusterInstance:ClusterInstance", member, related=lookup(cluster))
    assert optimized == round(0.377 * 730, 2)
    serverless = estimate_resource("aws:rds/clusterInstance:ClusterInstance",
                                   {"engine": "aurora-postgresql", "instanceClass": "db.serverless"}, US)
    assert serverless is not None and serverless.fixed_usd == 0 and "$0.12/ACU-hours" in serverless.basis


def test_rds_extended_support_by_engine_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-29")   # the support phase is judged as of this day
    base = {"engine": "postgres", "instanceClass": "db.t3.large", "allocatedStorage": 20}
    current = usd(RDS, {**base, "engineVersion": "16.3"})
    assert usd(RDS, {**base, "engineVersion": "13.15"}) == round((current or 0) + 2 * 730 * 0.10, 2)  # years 1-2
    assert usd(RDS, {**base, "engineVersion": "11.22"}) == round((current or 0) + 2 * 730 * 0.20, 2)  # year 3


# --- EKS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("inputs", "expected"), [
    ({}, 73.0),
    ({"version": "1.34"}, 73.0),
    ({"version": "1.33"}, 438.0),      # standard support ended 2026-07-29, before the day of the estimate
    ({"version": "1.29"}, 438.0),
    ({"version": "1.20"}, 438.0),      # older than the calendar
    ({"version": "1.40"}, 73.0),       # newer than the calendar
    ({"version": "1.29", "upgradePolicy": {"supportType": "STANDARD"}}, 73.0),
])
def test_eks_extended_support_by_version(inputs: dict[str, Any], expected: float,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-29")   # the support phase is judged as of this day
    assert usd("aws:eks/cluster:Cluster", inputs) == expected


def test_node_group_uses_its_launch_template_type_and_disk() -> None:
    template = {LAUNCH_TEMPLATE: {"lt-123": {"instanceType": "m6i.large", "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50, "volumeType": "gp3", "iops": 4000}}]}}}
    group = {"scalingConfig": {"desiredSize": 3, "maxSize": 3}, "launchTemplate": {"id": "lt-123", "version": "1"}}
    found = usd(NODE_GROUP, group, related=lookup(template))
    assert found == round(3 * (0.096 * 730 + 50 * 0.08 + 1000 * 0.005), 2)
    unseen = estimate_resource(NODE_GROUP, group, US)
    assert unseen is not None and unseen.monthly_usd is None and unseen.unpriced == "unknown-value"
    assert "launch template" in unseen.basis
    plain = usd(NODE_GROUP, {"instanceTypes": ["m6i.large"], "diskSize": 50, "scalingConfig": {"desiredSize": 3}})
    assert plain == round(3 * (0.096 * 730 + 50 * 0.10), 2)
    instance = usd(EC2, {"launchTemplate": {"id": "lt-123"}}, related=lookup(template))
    assert instance == round(0.096 * 730 + 8 * 0.08, 2)


# --- unpriced, usage, price books --------------------------------------------------------------

@pytest.mark.parametrize(("resource_type", "inputs", "why", "says"), [
    ("aws:transfer/server:Server", {}, "unknown-type", "no pricing model for aws:transfer/server:Server"),
    (EC2, {"instanceType": "x9.huge"}, "missing-price", "no price for instance type x9.huge"),
    (EC2, {"instanceType": UNKNOWN}, "unknown-value", "not known until the update"),
    (RDS, {"engine": "postgres", "instanceClass": "db.r4.large", "multiAz": True, "allocatedStorage": "lots"},
     "bad-value", "allocatedStorage='lots'"),
    ("aws:neptune/clusterInstance:ClusterInstance", {"instanceClass": "db.r5.large"}, "missing-price",
     "no price for Neptune type db.r5.large"),
])
def test_unpriced_rows_say_why(resource_type: str, inputs: dict[str, Any], why: str, says: str) -> None:
    estimate = estimate_resource(resource_type, inputs, US)
    assert estimate is not None and estimate.monthly_usd is None and estimate.unpriced == why
    assert says in estimate.basis


def test_lists_of_ids_unknown_during_preview_are_still_counted() -> None:
    endpoint = {"vpcEndpointType": "Interface", "subnetIds": [UNKNOWN, UNKNOWN, UNKNOWN]}
    assert usd("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint) == round(3 * 0.01 * 730, 2)
    unknown = estimate_resource("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface",
                                                                    "subnetIds": UNKNOWN}, US)
    assert unknown is not None and unknown.unpriced == "unknown-value" and "subnetIds" in unknown.basis


def test_resources_without_a_charge_and_other_providers_are_not_rows() -> None:
    assert estimate_resource("aws:iam/role:Role", {}, US) is None
    assert estimate_resource("aws:ec2/securityGroup:SecurityGroup", {}, US) is None
    assert estimate_resource("kubernetes:apps/v1:Deployment", {}, US) is None


def test_usage_priced_types_state_unit_prices_and_take_typed_amounts() -> None:
    bucket = estimate_resource("aws:s3/bucket:Bucket", {}, US)
    assert bucket is not None and bucket.usage_priced and bucket.monthly_usd == 0
    assert "usage-priced (Standard storage $0.023/GB-months" in bucket.basis
    assert {c.usage_key for c in bucket.usage_pending} == {"storageGb", "monthlyPutRequests", "monthlyGetRequests"}
    given = estimate_resource("aws:s3/bucket:Bucket", {}, US, usage={"storageGb": 500, "monthlyPutRequests": 200000})
    assert given is not None and given.monthly_usd == round(500 * 0.023 + 200 * 0.005, 2) == given.usage_usd
    assert {c.usage_key for c in given.usage_pending} == {"monthlyGetRequests"}
    nat = estimate_resource("aws:ec2/natGateway:NatGateway", {}, US, usage={"monthlyDataProcessedGb": 1000})
    assert nat is not None and (nat.fixed_usd, nat.usage_usd, nat.monthly_usd) == (32.85, 45.0, 77.85)
    assert not nat.usage_priced and nat.usage_dependent


def test_monthly_usd_gives_the_usage_part_as_one_figure() -> None:
    bucket = estimate_resource("aws:s3/bucket:Bucket", {}, US, usage_usd=12.5)
    assert bucket is not None and bucket.monthly_usd == 12.5 and bucket.basis == "from the usage file"
    nat = estimate_resource("aws:ec2/natGateway:NatGateway", {}, US, usage_usd=10)
    assert nat is not None and nat.monthly_usd == 42.85 and "usage from the usage file $10.00" in nat.basis


def test_usage_file_reads_typed_amounts(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("resources:\n  logs:\n    storageGb: 200\n    monthlyGetRequest: 5\n"
                    "  legacy:\n    monthlyUsd: 25\n")
    usage = load_usage_file(path)
    logs = usage.for_resource("urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs", "logs")
    assert logs.amounts == {"storageGb": 200, "monthlyGetRequest": 5} and logs.monthly_usd is None
    assert usage.for_resource("urn:x", "legacy").monthly_usd == 25
    estimate = estimate_resource("aws:s3/bucket:Bucket", {}, US, usage=logs.amounts)
    assert estimate is not None and unused_keys(logs, estimate.components) == ["monthlyGetRequest"]  # a typo
    path.write_text("resources:\n  logs:\n    storageGb: -3\n")
    with pytest.raises(ConfigError, match=r"usage.yaml:3: resources.logs.storageGb: found -3; expected an amount"):
        load_usage_file(path)


def test_price_book_discounts_beside_the_list_price(tmp_path: Path) -> None:
    path = tmp_path / "price-book.yaml"
    path.write_text("name: EDP\ndiscounts:\n  - {percent: 5, label: enterprise discount}\n"
                    "  - {service: ec2, percent: 20, label: Compute Savings Plan}\n"
                    "  - {type: 'aws:rds/*', percent: 30, label: reserved instances}\n")
    book = load_price_book(path)
    instance = estimate_resource(EC2, {"instanceType": "m5.large"}, US, price_book=book)
    assert instance is not None and instance.list_usd == 70.72 and instance.monthly_usd == round(70.72 * 0.8, 2)
    assert instance.discount is not None and instance.discount.label == "EDP: Compute Savings Plan"
    assert "EDP: Compute Savings Plan -20 % (list $70.72)" in instance.basis
    db = estimate_resource(RDS, {"engine": "postgres", "instanceClass": "db.t3.large"}, US, price_book=book)
    assert db is not None and db.discount is not None and db.discount.percent == 30
    key = estimate_resource("aws:kms/key:Key", {}, US, price_book=book)
    assert key is not None and key.monthly_usd == 0.95 and key.list_usd == 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("discounts:\n  - {percent: 120}\n", "price-book.yaml:2: discounts[0].percent: found 120; expected a discount"),
    ("discounts:\n  - {percent: 5, region: eu}\n", "discounts[0].region: found 'region'; expected percent, label"),
    ("discount: []\n", "discount: found 'discount'; expected name or discounts"),
])
def test_bad_price_books_are_refused_with_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "price-book.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_price_book(path)
    assert message in str(refused.value)


def test_advice_can_price_a_kind_with_modified_inputs() -> None:
    kind = kind_of(NODE_GROUP)
    assert kind is not None
    inputs = {"instanceTypes": ["m5.large"], "scalingConfig": {"desiredSize": 2}}
    before = estimate_kind(kind, inputs, US)
    after = estimate_kind(kind, {**inputs, "instanceTypes": ["m6g.large"]}, US)
    assert isinstance(before, Estimate) and isinstance(after, Estimate)
    assert round((before.monthly_usd or 0) - (after.monthly_usd or 0), 2) == round(2 * (0.096 - 0.077) * 730, 2)


def test_a_program_s_resources_as_the_related_lookup() -> None:
    template = RelatedResource(LAUNCH_TEMPLATE, "nodes", {"instanceType": "m6i.large"}, id="nodes-id",
                               urn="urn:pulumi:dev::p::aws:ec2/launchTemplate:LaunchTemplate::nodes")
    task = RelatedResource("aws:ecs/taskDefinition:TaskDefinition", "api", {"family": "api", "cpu": "1024",
                                                                            "memory": "2048"})
    related = related_lookup([template, task])
    group = {"scalingConfig": {"desiredSize": 1}, "launchTemplate": {"id": "nodes-id"}}
    assert usd(NODE_GROUP, group, related=related) == round(0.096 * 730 + 20 * 0.10, 2)
    service = {"launchType": "FARGATE", "desiredCount": 1,
               "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"}
    assert usd("aws:ecs/service:Service", service, related=related) == round((0.04048 + 2 * 0.004445) * 730, 2)
