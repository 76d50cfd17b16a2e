"""Which property of which resource type is judged against which cap.

Rules are data: policing a new resource type, or a new property of one, is one line here.
``section`` names the per-environment cap block of rules.yaml; ``path`` uses ``*`` for list
elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a value is judged against its cap:
#   instance-class - an EC2 type / RDS or ElastiCache class, judged by vCPUs, memory, GPUs
#   at-most        - a number no larger than the cap field
#   required-at-most - as at-most, but the value must be set (and 0 means "forever")
#   allowed-flag   - a boolean that may be true only where the cap field is true
Check = Literal["instance-class", "at-most", "required-at-most", "allowed-flag"]


@dataclass(frozen=True)
class Target:
    policy: str
    resource_type: str
    path: tuple[str, ...]
    check: Check
    section: str
    cap_field: str = ""
    unit: str = ""


def _t(policy: str, resource_type: str, path: str, check: Check, section: str,
       cap_field: str = "", unit: str = "") -> Target:
    return Target(policy, resource_type, tuple(path.split(".")), check, section, cap_field, unit)


INSTANCE, NODES, DB, CACHE, EBS, LAMBDA, LOGS = (
    "finops-instance-size", "finops-node-group-size", "finops-database-size", "finops-cache-size",
    "finops-ebs-volume-size", "finops-lambda-memory", "finops-log-retention",
)

TARGETS: tuple[Target, ...] = (
    _t(INSTANCE, "aws:ec2/instance:Instance", "instanceType", "instance-class", "instance"),
    _t(INSTANCE, "aws:ec2/launchTemplate:LaunchTemplate", "instanceType", "instance-class", "instance"),
    _t(INSTANCE, "aws:ec2/spotInstanceRequest:SpotInstanceRequest", "instanceType", "instance-class", "instance"),
    _t(INSTANCE, "aws:ec2/spotFleetRequest:SpotFleetRequest", "launchSpecifications.*.instanceType",
       "instance-class", "instance"),
    _t(INSTANCE, "aws:eks/nodeGroup:NodeGroup", "instanceTypes.*", "instance-class", "instance"),
    _t(INSTANCE, "aws:autoscaling/group:Group", "mixedInstancesPolicy.launchTemplate.overrides.*.instanceType",
       "instance-class", "instance"),
    _t(NODES, "aws:eks/nodeGroup:NodeGroup", "scalingConfig.maxSize", "at-most", "nodeGroup", "max_size", "nodes"),
    _t(NODES, "aws:autoscaling/group:Group", "maxSize", "at-most", "nodeGroup", "max_size", "nodes"),
    _t(DB, "aws:rds/instance:Instance", "instanceClass", "instance-class", "database"),
    _t(DB, "aws:rds/instance:Instance", "allocatedStorage", "at-most", "database", "max_storage_gib", "GiB"),
    _t(DB, "aws:rds/instance:Instance", "maxAllocatedStorage", "at-most", "database", "max_storage_gib", "GiB"),
    _t(DB, "aws:rds/instance:Instance", "multiAz", "allowed-flag", "database", "multi_az"),
    _t(DB, "aws:rds/clusterInstance:ClusterInstance", "instanceClass", "instance-class", "database"),
    _t(DB, "aws:rds/cluster:Cluster", "dbClusterInstanceClass", "instance-class", "database"),
    _t(DB, "aws:rds/cluster:Cluster", "allocatedStorage", "at-most", "database", "max_storage_gib", "GiB"),
    _t(CACHE, "aws:elasticache/cluster:Cluster", "nodeType", "instance-class", "cache"),
    _t(CACHE, "aws:elasticache/replicationGroup:ReplicationGroup", "nodeType", "instance-class", "cache"),
    _t(EBS, "aws:ebs/volume:Volume", "size", "at-most", "ebsVolume", "max_size_gib", "GiB"),
    _t(EBS, "aws:ec2/instance:Instance", "rootBlockDevice.volumeSize", "at-most", "ebsVolume", "max_size_gib", "GiB"),
    _t(EBS, "aws:ec2/instance:Instance", "ebsBlockDevices.*.volumeSize", "at-most", "ebsVolume", "max_size_gib",
       "GiB"),
    _t(EBS, "aws:ec2/launchTemplate:LaunchTemplate", "blockDeviceMappings.*.ebs.volumeSize", "at-most",
       "ebsVolume", "max_size_gib", "GiB"),
    _t(EBS, "aws:eks/nodeGroup:NodeGroup", "diskSize", "at-most", "ebsVolume", "max_size_gib", "GiB"),
    _t(LAMBDA, "aws:lambda/function:Function", "memorySize", "at-most", "lambda", "max_memory_mb", "MB"),
    _t(LOGS, "aws:cloudwatch/logGroup:LogGroup", "retentionInDays", "required-at-most", "logRetention",
       "max_days", "days"),
)
