"""EC2 compute and block storage: instances, EBS volumes, EKS node groups, Auto Scaling groups,
capacity reservations, EMR and SageMaker instances.

EBS volumes are priced by size and type, plus provisioned IOPS (io1/io2: every IOPS; gp3: above
3,000) and gp3 throughput above 125 MiB/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kinds import ResourceKind
from ..quote import Quote, Unpriced, model
from ..values import MISSING, UNKNOWN

GP3_FREE_IOPS = 3000        # gp3 baseline included in the GB price (EBS pricing)
GP3_FREE_THROUGHPUT = 125   # MiB/s


def volume(q: Quote, label: str, size: float, kind: Any, iops: Any, throughput: Any, copies: float = 1) -> None:
    """One EBS volume (``copies`` alike): storage, provisioned IOPS and throughput above the gp3 baseline."""
    if kind is UNKNOWN:
        raise Unpriced(f"{label} volume type not known until the update", "unknown-value")
    kind = str(kind)
    label = label if copies == 1 else f"{label} x {copies:g}"
    q.fixed(f"{label} {kind} storage", size * copies, "GB-months", "ebsGbMonth", kind, "volume type")
    provisioned = q.as_number(iops, 0, f"{label} iops")
    if kind in ("io1", "io2") and provisioned:
        q.fixed(f"{label} provisioned IOPS", provisioned * copies, "IOPS-months", "ebsIopsMonth", kind, "IOPS of")
    if kind == "gp3":
        if provisioned > GP3_FREE_IOPS:
            q.fixed(f"{label} IOPS above {GP3_FREE_IOPS}", (provisioned - GP3_FREE_IOPS) * copies, "IOPS-months",
                    "ebsIopsMonth", "gp3_above_3000", "gp3 IOPS")
        mbps = q.as_number(throughput, 0, f"{label} throughput")
        if mbps > GP3_FREE_THROUGHPUT:
            q.fixed(f"{label} throughput above {GP3_FREE_THROUGHPUT} MiB/s", (mbps - GP3_FREE_THROUGHPUT) * copies,
                    "MiB/s-months", "ebsThroughputMbpsMonth", "gp3_above_125", "gp3 throughput")


def _or(value: Any, default: Any) -> Any:
    return default if value is MISSING or value is None else value


def instance_hours(q: Quote, type_name: Any, count: float, label: str = "instance") -> None:
    q.hourly(f"{label} {type_name}" + (f" x {count:g}" if count != 1 else ""), count, "ec2", type_name,
             "instance type")


@model("ebs-volume")
def ebs_volume(q: Quote) -> None:
    # The provider's default type is gp2 (pulumi-aws ebs.Volume ``type``).
    volume(q, "volume", q.number("size", 0), _or(q.value("volumeType"), "gp2"), q.value("iops"),
           q.value("throughput"))


@model("ec2-instance")
def ec2_instance(q: Quote) -> None:
    tenancy = q.text("tenancy", "default")
    if tenancy in ("dedicated", "host"):
        raise Unpriced(f"tenancy={tenancy}: dedicated capacity is not in the catalogue")
    type_name = q.known("instanceType")
    if type_name is None:
        template = launch_template(q, "launchTemplateId", "launchTemplateName")
        found = template[0].value(template[1], "instanceType") if template else MISSING
        if found is MISSING:
            raise Unpriced("instanceType is set by a launch template the estimate cannot see", "unknown-value")
        type_name = found
    instance_hours(q, type_name, 1)
    # Older types (m3, r3, c3 ...) charge for EBS optimisation; current ones include it (no price, or 0).
    if q.flag("ebsOptimized") and isinstance(type_name, str) and q.has_price("ebsOptimizedSurcharge", type_name) \
            and q.price("ebsOptimizedSurcharge", type_name, "EBS-optimised surcharge") > 0:
        q.hourly("EBS-optimised surcharge", 1, "ebsOptimizedSurcharge", type_name, "EBS-optimised surcharge")
    if q.flag("monitoring"):
        q.fixed("detailed monitoring (7 metrics)", 7, "metric-months", "ec2DetailedMonitoringPerMetricMonth",
                "first_10k", "detailed monitoring")
    # Root volume: the AMI decides its type; current AMIs (Amazon Linux 2023, Bottlerocket) use gp3.
    volume(q, "root volume", q.number("rootVolumeSize", 8), _or(q.value("rootVolumeType"), "gp3"),
           q.value("rootIops"), q.value("rootThroughput"))
    devices = q.elements("ebsVolumeSize", "ebsVolumeType", "ebsIops", "ebsThroughput")
    for index, device in devices.items():
        size = q.as_number(device.get("ebsVolumeSize", MISSING), 0, f"{index}.volumeSize")
        volume(q, index, size, _or(device.get("ebsVolumeType", MISSING), "gp2"),
               device.get("ebsIops", MISSING), device.get("ebsThroughput", MISSING))


def template_disks(q: Quote, kind: ResourceKind, inputs: Mapping[str, Any], label: str, copies: float) -> bool:
    """The launch template's EBS block devices, ``copies`` times; False when it declares none."""
    found: dict[str, dict[str, Any]] = {}
    for role in ("volumeSize", "volumeType", "volumeIops", "volumeThroughput"):
        for where, value in kind.values(inputs, role):
            found.setdefault(where[: where.index("]") + 1], {})[role] = value
    for index, device in found.items():
        size = q.as_number(device.get("volumeSize", MISSING), 8, f"{index}.ebs.volumeSize")
        volume(q, f"{label} {index}", size, _or(device.get("volumeType", MISSING), "gp2"),
               device.get("volumeIops", MISSING), device.get("volumeThroughput", MISSING), copies)
    return bool(found)


LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def launch_template(q: Quote, *roles: str) -> tuple[ResourceKind, Mapping[str, Any]] | None:
    for role in roles:
        if q.known(role) is not None:
            found = q.related_inputs(LAUNCH_TEMPLATE, role)
            if found is not None:
                return found
    return None


def _first(q: Quote, role: str) -> Any:
    for _, value in q.values(role):
        if value is UNKNOWN:
            raise Unpriced(f"{q._where(role)} not known until the update", "unknown-value")
        if isinstance(value, str):
            return value
    return None


def _template_instance_type(template: tuple[ResourceKind, Mapping[str, Any]] | None) -> Any:
    """The instance type a launch template the estimate can see names, or None."""
    if template is None:
        return None
    kind, inputs = template
    found = kind.value(inputs, "instanceType")
    return None if found is MISSING else found


@model("eks-node-group")
def eks_node_group(q: Quote) -> None:
    nodes = q.number("desiredSize", 1)
    if q.text("capacityType", "ON_DEMAND") == "SPOT":
        q.note("spot capacity at the on-demand price, an upper bound")
    template = launch_template(q, "launchTemplateId", "launchTemplateName")
    type_name = _first(q, "instanceType")
    if type_name is None:
        type_name = _template_instance_type(template)
    if type_name is None:
        if template is None and (q.known("launchTemplateId") is not None or q.known("launchTemplateName") is not None):
            raise Unpriced("the instance type is set by a launch template the estimate cannot see", "unknown-value")
        # The EKS API's default, also where the node group's launch template names no type (eks's
        # ManagedNodeGroup makes such templates for kubelet arguments or IMDSv2).
        type_name = "t3.medium"
    instance_hours(q, type_name, nodes, "node")
    if template is not None and template_disks(q, *template, "node", nodes):
        return
    if template is None:
        # Without a launch template, diskSize (default 20 GiB) on a gp2 volume per node.
        volume(q, "node disk", q.number("diskSize", 20), "gp2", MISSING, MISSING, nodes)
    else:
        volume(q, "node root volume", 20, "gp2", MISSING, MISSING, nodes)


@model("autoscaling-group")
def autoscaling_group(q: Quote) -> None:
    count = q.number("desiredCapacity", q.number("minSize", 0))
    template = launch_template(q, "launchTemplateId", "launchTemplateName", "mixedLaunchTemplateId",
                               "mixedLaunchTemplateName")
    type_name = _first(q, "overrideInstanceType")
    if type_name is None:
        type_name = _template_instance_type(template)
    if type_name is None:
        raise Unpriced("the instance type is set by a launch template or configuration the estimate cannot see",
                       "unknown-value")
    if count == 0:
        q.note("no instances (desired capacity 0)")
        return
    instance_hours(q, type_name, count)
    if template is None or not template_disks(q, *template, "instance", count):
        volume(q, "root volume", 8, "gp3", MISSING, MISSING, count)


@model("capacity-reservation")
def capacity_reservation(q: Quote) -> None:
    platform = q.text("platform", "Linux/UNIX")
    if platform != "Linux/UNIX":
        raise Unpriced(f"instancePlatform={platform}: only Linux/UNIX prices are in the catalogue")
    instance_hours(q, q.known("instanceType"), q.number("instanceCount", 1), "reserved")


@model("emr-instances")
def emr_instances(q: Quote) -> None:
    """EMR on EC2: each instance's EC2 price plus the EMR charge, for every group the params name
    (``groups: [[typeRole, countRole or null], ...]``)."""
    for type_role, count_role in q.params.get("groups", []):
        type_name = q.known(type_role)
        if type_name is None:
            continue
        count = q.number(count_role, 1) if count_role else 1.0
        instance_hours(q, type_name, count, q._where(type_role))
        q.hourly(f"EMR charge {type_name} x {count:g}", count, "emrSurcharge", type_name, "EMR charge for")


@model("emr-instance-fleet")
def emr_instance_fleet(q: Quote) -> None:
    """On-demand target capacity at the first instance type's price (one unit per instance unless
    the type's weightedCapacity says otherwise); spot capacity is market-priced."""
    types = q.elements("instanceType", "weight")
    first = next(iter(types.values()), None)
    units = q.number("onDemand", 0)
    if first is None or units == 0:
        q.note("no on-demand capacity (spot is market-priced)")
        return
    type_name = first.get("instanceType", MISSING)
    count = units / q.as_number(first.get("weight", MISSING), 1, "weightedCapacity")
    instance_hours(q, type_name, count, "on-demand")
    q.hourly(f"EMR charge {type_name} x {count:g}", count, "emrSurcharge", type_name, "EMR charge for")


@model("sagemaker-notebook")
def sagemaker_notebook(q: Quote) -> None:
    type_name = q.known("instanceType")
    q.hourly(f"notebook {type_name}", 1, "sagemaker", type_name, "SageMaker instance type")
    q.note("ML storage volume not in the catalogue")


@model("sagemaker-endpoint")
def sagemaker_endpoint(q: Quote) -> None:
    kind, inputs = q.required_related("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "endpointConfigName",
                                      "the instances are set by an endpoint configuration")
    variants: dict[str, dict[str, Any]] = {}
    for role in ("instanceType", "instanceCount"):
        for where, value in kind.values(inputs, role):
            variants.setdefault(where[: where.index("]") + 1], {})[role] = value
    for index, variant in variants.items():
        type_name = variant.get("instanceType", MISSING)
        if type_name is MISSING:
            q.note(f"{index} is serverless (usage-priced)")
            continue
        count = q.as_number(variant.get("instanceCount", MISSING), 1, "initialInstanceCount")
        q.hourly(f"{index} {type_name} x {count:g}", count, "sagemaker", type_name, "SageMaker instance type")
