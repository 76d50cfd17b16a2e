"""Every kind in the table of resource kinds, judged over the Analyzer protocol in dev and in prod.

Each case is a resource as pulumi_aws sends it (camelCase inputs): in the dev stack it breaks
one cap and gets exactly one mandatory violation from the named policy; the same resource
tagged for prod in the prod stack fits prod's caps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PACK_DIR, PROJECT, UNKNOWN, Analyze, labels, mandatory, tags
from finops_core.catalogue import lookup
from finops_core.kinds import kinds_table
from finops_preview.analyzer import Diagnostic, PolicyPackProcess

# (type, props, policy, expected text in dev, fits prod)
CASES: list[tuple[str, dict[str, Any], str, str, bool]] = [
    ("aws:opensearch/domain:Domain", {"clusterConfig": {"instanceType": "r6g.4xlarge.search", "instanceCount": 2}},
     "finops-search-size", "clusterConfig.instanceType=r6g.4xlarge.search (16 vCPU, 128 GiB", True),
    ("aws:opensearch/domain:Domain", {"clusterConfig": {"instanceType": "t3.small.search", "instanceCount": 6}},
     "finops-search-size", "clusterConfig.instanceCount=6 nodes; allowed: at most 2 nodes in dev", True),
    ("aws:opensearch/domain:Domain", {"clusterConfig": {"instanceType": "t3.small.search", "instanceCount": 1,
                                                        "dedicatedMasterEnabled": True,
                                                        "dedicatedMasterType": "m6g.2xlarge.search"}},
     "finops-search-size", "clusterConfig.dedicatedMasterType=m6g.2xlarge.search", True),
    ("aws:opensearch/domain:Domain", {"clusterConfig": {"instanceType": "t3.small.search"},
                                      "ebsOptions": {"ebsEnabled": True, "volumeSize": 500}},
     "finops-ebs-volume-size", "ebsOptions.volumeSize=500 GiB", True),
    ("aws:elasticsearch/domain:Domain", {"clusterConfig": {"instanceType": "r5.2xlarge.elasticsearch"}},
     "finops-search-size", "r5.2xlarge.elasticsearch (8 vCPU, 64 GiB", True),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration",
     {"productionVariants": [{"variantName": "a", "modelName": "m", "instanceType": "ml.p3.2xlarge",
                              "initialInstanceCount": 1}]},
     "finops-ml-size", "productionVariants[0].instanceType=ml.p3.2xlarge (8 vCPU, 61 GiB, 1 GPU/accelerator)", True),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration",
     {"productionVariants": [{"variantName": "a", "modelName": "m", "instanceType": "ml.m5.large",
                              "initialInstanceCount": 4}]},
     "finops-ml-size", "productionVariants[0].initialInstanceCount=4 instances", True),
    ("aws:sagemaker/notebookInstance:NotebookInstance", {"instanceType": "ml.g5.xlarge", "roleArn": "arn"},
     "finops-ml-size", "instanceType=ml.g5.xlarge (4 vCPU, 16 GiB, 1 GPU/accelerator); allowed: at most 4 vCPU, "
     "16 GiB memory, no GPU in dev", True),
    ("aws:emr/cluster:Cluster", {"masterInstanceGroup": {"instanceType": "m5.xlarge"},
                                 "coreInstanceGroup": {"instanceType": "r5.4xlarge", "instanceCount": 2}},
     "finops-analytics-size", "coreInstanceGroup.instanceType=r5.4xlarge", True),
    ("aws:emr/cluster:Cluster", {"masterInstanceGroup": {"instanceType": "m5.xlarge"},
                                 "coreInstanceGroup": {"instanceType": "m5.xlarge", "instanceCount": 8}},
     "finops-analytics-size", "coreInstanceGroup.instanceCount=8 instances", True),
    ("aws:emr/cluster:Cluster", {"masterInstanceFleet": {"instanceTypeConfigs": [{"instanceType": "m5.xlarge"}]},
                                 "coreInstanceFleet": {"instanceTypeConfigs": [{"instanceType": "m5.xlarge"},
                                                                               {"instanceType": "c5.9xlarge"}],
                                                       "targetOnDemandCapacity": 2}},
     "finops-analytics-size", "coreInstanceFleet.instanceTypeConfigs[1].instanceType=c5.9xlarge", True),
    ("aws:emr/instanceGroup:InstanceGroup", {"clusterId": "j-1", "instanceType": "m5.12xlarge", "instanceCount": 1},
     "finops-analytics-size", "instanceType=m5.12xlarge (48 vCPU", True),
    ("aws:emr/instanceFleet:InstanceFleet", {"clusterId": "j-1", "instanceTypeConfigs": [{"instanceType": "m5.xlarge"}],
                                             "targetSpotCapacity": 20},
     "finops-analytics-size", "targetSpotCapacity=20 instances", True),
    ("aws:redshift/cluster:Cluster", {"clusterIdentifier": "w", "nodeType": "ra3.16xlarge", "numberOfNodes": 2},
     "finops-warehouse-size", "nodeType=ra3.16xlarge (48 vCPU, 384 GiB", True),
    ("aws:redshift/cluster:Cluster", {"clusterIdentifier": "w", "nodeType": "ra3.xlplus", "numberOfNodes": 6},
     "finops-warehouse-size", "numberOfNodes=6 nodes; allowed: at most 2 nodes in dev", True),
    ("aws:redshiftserverless/workgroup:Workgroup", {"namespaceName": "n", "workgroupName": "w", "baseCapacity": 128},
     "finops-warehouse-size", "baseCapacity=128 RPUs; allowed: at most 8 RPUs in dev", True),
    ("aws:msk/cluster:Cluster", {"clusterName": "k", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3,
                                 "brokerNodeGroupInfo": {"instanceType": "kafka.m5.4xlarge", "clientSubnets": ["a"]}},
     "finops-streaming-size", "brokerNodeGroupInfo.instanceType=kafka.m5.4xlarge (16 vCPU, 64 GiB", True),
    ("aws:msk/cluster:Cluster", {"clusterName": "k", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 9,
                                 "brokerNodeGroupInfo": {"instanceType": "kafka.t3.small", "clientSubnets": ["a"]}},
     "finops-streaming-size", "numberOfBrokerNodes=9 brokers", True),
    ("aws:docdb/clusterInstance:ClusterInstance", {"clusterIdentifier": "d", "instanceClass": "db.r6g.4xlarge"},
     "finops-database-size", "instanceClass=db.r6g.4xlarge (16 vCPU, 128 GiB", True),
    ("aws:neptune/clusterInstance:ClusterInstance", {"clusterIdentifier": "g", "instanceClass": "db.r5.2xlarge"},
     "finops-database-size", "instanceClass=db.r5.2xlarge", True),
    ("aws:memorydb/cluster:Cluster", {"aclName": "open-access", "nodeType": "db.r6g.2xlarge"},
     "finops-cache-size", "nodeType=db.r6g.2xlarge (8 vCPU, 64 GiB", True),
    ("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "engineMode": "provisioned",
                                 "serverlessv2ScalingConfiguration": {"minCapacity": 0.5, "maxCapacity": 64}},
     "finops-database-size", "serverlessv2ScalingConfiguration.maxCapacity=64 ACUs; allowed: at most 4 ACUs in dev",
     True),
    ("aws:ecs/taskDefinition:TaskDefinition", {"family": "api", "cpu": "4096", "memory": "2048",
                                               "requiresCompatibilities": ["FARGATE"], "containerDefinitions": "[]"},
     "finops-task-size", "cpu=4096 (4 vCPU); allowed: at most 1 vCPU in dev", True),
    ("aws:ec2/fleet:Fleet", {"launchTemplateConfigs": [{"launchTemplateSpecification": {"launchTemplateId": "lt"},
                                                        "overrides": [{"instanceType": "c5.large"},
                                                                      {"instanceType": "c5.4xlarge"}]}],
                             "targetCapacitySpecification": {"defaultTargetCapacityType": "spot",
                                                             "totalTargetCapacity": 2}},
     "finops-instance-size", "launchTemplateConfigs[0].overrides[1].instanceType=c5.4xlarge", True),
    ("aws:ec2/spotFleetRequest:SpotFleetRequest",
     {"iamFleetRole": "r", "targetCapacity": 2,
      "launchTemplateConfigs": [{"launchTemplateSpecification": {"id": "lt"},
                                 "overrides": [{"instanceType": "m5.8xlarge"}]}]},
     "finops-instance-size", "launchTemplateConfigs[0].overrides[0].instanceType=m5.8xlarge", True),
    ("aws:ec2/spotInstanceRequest:SpotInstanceRequest",
     {"instanceType": "t3.micro", "ebsBlockDevices": [{"deviceName": "/dev/sdf", "volumeSize": 800}]},
     "finops-ebs-volume-size", "ebsBlockDevices[0].volumeSize=800 GiB", True),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"instanceRequirements": {"vcpuCount": {"min": 32}, "memoryMib": {"min": 1024}}},
     "finops-instance-size", "instanceRequirements.vcpuCount.min=32", True),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"instanceRequirements": {"vcpuCount": {"min": 1}, "memoryMib": {"min": 16384}}},
     "finops-instance-size", "instanceRequirements.memoryMib.min=16384 (16 GiB)", True),
    ("aws:ec2/launchTemplate:LaunchTemplate",
     {"instanceRequirements": {"vcpuCount": {"min": 1}, "memoryMib": {"min": 1024}, "acceleratorCount": {"min": 1}}},
     "finops-instance-size", "instanceRequirements.acceleratorCount.min=1", True),
    ("aws:ec2/instance:Instance", {"instanceType": "p3.8xlarge"}, "finops-instance-size",
     "instanceType=p3.8xlarge (32 vCPU, 244 GiB, 4 GPU/accelerator)", True),
]


def _prod(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "tags": tags(Environment="prod")}


@pytest.fixture(scope="module")
def prod_pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, stack="prod", project=PROJECT) as process:
        process.handshake()
        yield process


def _guardrails(found: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in found if not d.policy.startswith("finops-advice-")]


@pytest.mark.parametrize(("resource_type", "props", "policy", "expected", "fits_prod"), CASES,
                         ids=[f"{c[0].rsplit(':', 1)[-1]}-{c[3][:40]}" for c in CASES])
def test_each_kind_is_judged_in_dev_and_allowed_in_prod(
    analyze: Analyze, prod_pack: PolicyPackProcess, resource_type: str, props: dict[str, Any], policy: str,
    expected: str, fits_prod: bool,
) -> None:
    found = mandatory(analyze(resource_type, {**props, "tags": tags()}, name="big"))
    assert [d.policy for d in found] == [policy], [d.message for d in found]
    assert expected in found[0].message
    assert f"{resource_type} 'big'" in found[0].message
    assert "Fix:" in found[0].message and "waiver" in found[0].message
    in_prod = mandatory(_guardrails(prod_pack.analyze(resource_type, "big", _prod(props))))
    assert (in_prod == []) is fits_prod, [d.message for d in in_prod]


def test_every_kind_with_sizes_has_a_case() -> None:
    judged = {t for t, kind in kinds_table().items() if kind.sizes}
    covered = {case[0] for case in CASES} | {
        # Covered by test_policy_sizing.py.
        "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup",
        "aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance", "aws:elasticache/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup", "aws:ebs/volume:Volume", "aws:lambda/function:Function",
        "aws:cloudwatch/logGroup:LogGroup", "aws:autoscaling/group:Group"}
    assert judged <= covered, sorted(judged - covered)


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
