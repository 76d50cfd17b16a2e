"""FinOps advice: advisory policies that each name a cheaper equivalent and the monthly saving.

Savings are the difference of two estimates from the same price catalogue: the resource as
written, and the resource with the advice applied. Where a price is missing the advice still
stands, saying the saving could not be priced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from finops_core import catalogue, estimate_resource
from finops_core.kinds import kind_of
from finops_core.rules import Rules
from finops_core.values import MISSING, UNKNOWN, get, get_path, plain
from pulumi_policy import EnforcementLevel, StackValidationArgs

from .kubernetes import kind_of as k8s_kind_of
from .messages import AtResource, Unknown, violation
from .policy import Finding
from .registry import ResourcePolicySpec, StackPolicySpec
from .stack_costs import provider_props
from .subject import Subject, current_stack, provider_region

ADVISORY = EnforcementLevel.ADVISORY
VOLUME = "aws:ebs/volume:Volume"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def saving(resource_type: str, before: Mapping[str, Any], after: Mapping[str, Any], region: str) -> str:
    old = estimate_resource(resource_type, before, region)
    new = estimate_resource(resource_type, after, region)
    if old is None or new is None or old.monthly_usd is None or new.monthly_usd is None:
        return "estimated saving: not priced in the catalogue"
    return f"estimated saving ${old.monthly_usd - new.monthly_usd:,.2f}/month"


def _replaced(inputs: Any, where: str, new: str) -> Any:  # (inputs, where) bound per instance type
    """A copy of ``inputs`` with the value at ``where`` (as values_at writes it: ``a.b[0].c``) set to ``new``."""
    steps: list[str | int] = [int(index) if index else key for key, index in _STEP.findall(where)]

    def copy(node: Any, rest: list[str | int]) -> Any:
        if not rest:
            return new
        head, tail = rest[0], rest[1:]
        if isinstance(head, int) and isinstance(node, list):
            return [copy(item, tail) if i == head else item for i, item in enumerate(node)]
        if isinstance(head, str) and isinstance(node, Mapping):
            return {**node, head: copy(node.get(head), tail)}
        return node

    return copy(inputs, steps)


def _instance_types(subject: Subject) -> Iterator[tuple[str, str, Callable[[str], Any]]]:
    """(where, type name, inputs with the type replaced) for every instance type of the resource,
    wherever the table of resource kinds says the kind keeps one."""
    kind = kind_of(subject.type)
    if kind is None:
        return
    for role in kind.instance_type_roles:
        for where, name in kind.values(subject.props, role):
            if isinstance(name, str):
                yield where, name, partial(_replaced, subject.inputs, where)


def _twin(name: str, families: Mapping[str, str]) -> str | None:
    naming = catalogue.naming_of(name)
    family, _, size = naming.strip(name).partition(".")
    target = families.get(family)
    if target is None or catalogue.lookup(f"{target}.{size}") is None:
        return None
    return naming.spell(f"{target}.{size}")


def _family_advice(table: Callable[[Rules], Mapping[str, str]], rule: str, why: str) -> Any:
    def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
        for where, name, replaced in _instance_types(subject):
            twin = _twin(name, table(rules))
            if twin is None:
                continue
            money = saving(subject.type, subject.inputs, replaced(twin), subject.region)
            yield violation(subject.describe(), rule, f"{where}={name}", f"{twin} ({why}); {money}",
                            f"switch to {twin}.")

    return check


def _volume_type_advice(old: str, new: str, why: str) -> Any:
    def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
        inputs = subject.inputs
        if subject.type == VOLUME:
            if (inputs.get("type") or "gp2") == old:
                money = saving(VOLUME, inputs, {**inputs, "type": new}, subject.region)
                yield violation(subject.describe(), f"{old} volume", f"type={old}", f"{new} ({why}); {money}",
                                f"set type to {new}.")
            return
        root = inputs.get("rootBlockDevice")
        if isinstance(root, Mapping) and root.get("volumeType") == old:
            size = root.get("volumeSize") or 8
            money = saving(VOLUME, {"type": old, "size": size}, {"type": new, "size": size}, subject.region)
            yield violation(subject.describe(), f"{old} volume", f"rootBlockDevice.volumeType={old}",
                            f"{new} ({why}); {money}", f"set volumeType to {new}.")

    return check


def _multi_az(subject: Subject, rules: Rules) -> Iterator[Finding]:
    inputs = subject.inputs
    env = subject.environment(rules, subject.declared_environment(rules))
    if env is None or env.name == "prod":
        return
    flag = "multiAz" if subject.type == "aws:rds/instance:Instance" else "multiAzEnabled"
    if inputs.get(flag) is True:
        money = saving(subject.type, inputs, {**inputs, flag: False}, subject.region)
        yield violation(subject.describe(), f"Multi-AZ in {env.name}", f"{flag}=true",
                        f"{flag}=false outside prod; {money}", f"set {flag} to false in {env.name}.")


def _log_retention(subject: Subject, rules: Rules) -> Iterator[Finding]:
    retention = get(subject.props, "retentionInDays")
    if retention is UNKNOWN:
        yield Unknown("retentionInDays")
    elif retention is MISSING or retention == 0:
        yield violation(subject.describe(), "log retention", "no retentionInDays (logs kept forever)",
                        "a retention; stored logs cost about $0.03 per GB-month and grow without one",
                        "set retentionInDays.")


def _monthly(resource_type: str, inputs: Mapping[str, Any], region: str) -> str:
    cost = estimate_resource(resource_type, inputs, region)
    return f"${cost.monthly_usd:,.2f}/month" if cost and cost.monthly_usd else "not priced"


def _dev_network(subject: Subject, rules: Rules) -> Iterator[Finding]:
    env = subject.environment(rules, subject.declared_environment(rules))
    if env is None or env.name != "dev":
        return
    if subject.type == "aws:ec2/natGateway:NatGateway":
        amount = _monthly(subject.type, {}, subject.region)
        yield violation(subject.describe(), "NAT gateway in dev", "a NAT gateway (per hour plus per GB)",
                        f"VPC endpoints or a shared egress VPC in dev; estimated saving {amount} plus data "
                        "processing", "remove the NAT gateway from dev.")
    elif get_path(subject.props, ("spec", "type")) == "LoadBalancer":
        amount = _monthly("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, subject.region)
        yield violation(subject.describe(), "LoadBalancer Service in dev", "spec.type=LoadBalancer",
                        f"ClusterIP with port-forward or a shared ingress in dev; estimated saving {amount} per "
                        "load balancer", "use type ClusterIP in dev.")


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


def _has_instance_types(resource_type: str) -> bool:
    kind = kind_of(resource_type)
    return kind is not None and bool(kind.instance_type_roles)


RESOURCE_SPECS: list[ResourcePolicySpec] = [
    ResourcePolicySpec("finops-advice-gp3", "gp2 volumes cost about 20 % more than gp3 with the same baseline "
                       "performance.", _types(VOLUME, "aws:ec2/instance:Instance"),
                       _volume_type_advice("gp2", "gp3", "same baseline, cheaper"), level=ADVISORY),
    ResourcePolicySpec("finops-advice-io1", "io1 volumes cost more than io2 or gp3 for most workloads.",
                       _types(VOLUME, "aws:ec2/instance:Instance"),
                       _volume_type_advice("io1", "gp3", "3,000 IOPS included, more for less per IOPS than io1"),
                       level=ADVISORY),
    ResourcePolicySpec("finops-advice-current-generation", "Previous-generation instance families cost more per "
                       "unit of work.", _has_instance_types,
                       _family_advice(lambda r: r.advice.previous_generation, "previous-generation family",
                                      "current generation"), level=ADVISORY),
    ResourcePolicySpec("finops-advice-graviton", "x86 instance types with a Graviton (arm64) twin cost more.",
                       _has_instance_types, _family_advice(lambda r: r.advice.graviton,
                                                           "x86 type with a Graviton twin",
                                                           "Graviton, arm64 images needed"), level=ADVISORY),
    ResourcePolicySpec("finops-advice-multi-az", "Multi-AZ databases and caches outside prod double their cost.",
                       _types("aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup"),
                       _multi_az, level=ADVISORY),
    ResourcePolicySpec("finops-advice-log-retention", "Log groups without retention keep (and bill) logs forever.",
                       _types("aws:cloudwatch/logGroup:LogGroup"), _log_retention, level=ADVISORY),
    ResourcePolicySpec("finops-advice-dev-network", "NAT gateways and LoadBalancer Services in dev cost per hour, "
                       "used or not.", lambda t: t == "aws:ec2/natGateway:NatGateway" or (
                           t.startswith("kubernetes:core/") and k8s_kind_of(t) == "Service"),
                       _dev_network, level=ADVISORY),
]


def _bucket_lifecycle(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    covered: set[str] = set()
    for r in args.resources:
        if r.resource_type in ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                               "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"):
            bucket = get(r.props, "bucket")
            if isinstance(bucket, str):
                covered.add(bucket)
    for r in args.resources:
        if r.resource_type != "aws:s3/bucket:Bucket":
            continue
        names = {v for v in (get(r.props, "id"), get(r.props, "bucket")) if isinstance(v, str)}
        legacy_rules = plain(get(r.props, "lifecycleRules"))
        if names & covered or (isinstance(legacy_rules, list) and legacy_rules):
            continue
        yield AtResource(violation(
            f"aws:s3/bucket:Bucket '{r.name}'", "bucket lifecycle", "no lifecycle rules",
            "a lifecycle configuration; Standard-IA costs about 45 % less than Standard after 30 days, and "
            "expiry removes what nobody reads (saving depends on stored GB)",
            "add an aws.s3.BucketLifecycleConfiguration (AuditLogBucket has one)."), r.urn)


def _auto_shutdown(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    env = rules.environment_of(None, current_stack())
    if env is None or not env.auto_shutdown.enabled:
        return
    scheduled = " ".join(
        str(plain(get(get(r.props, "target"), "input"))) for r in args.resources
        if r.resource_type == "aws:scheduler/schedule:Schedule")
    share_off = 1 - rules.advice.dev_hours_per_week / 168
    identity = {"aws:ec2/instance:Instance": "id", "aws:rds/instance:Instance": "identifier",
                "aws:eks/nodeGroup:NodeGroup": "nodeGroupName"}
    for r in args.resources:
        key = identity.get(r.resource_type)
        if key is None:
            continue
        value = get(r.props, key)
        if not isinstance(value, str) or json.dumps(value) in scheduled:
            continue
        cost = estimate_resource(r.resource_type, plain(r.props), provider_region(provider_props(r)))
        amount = f"${cost.monthly_usd * share_off:,.2f}/month" if cost and cost.monthly_usd else "not priced"
        yield AtResource(violation(
            f"{r.resource_type} '{r.name}'", f"auto-shutdown in {env.name}", "no stop/start schedule",
            f"off outside {rules.advice.dev_hours_per_week:g} h a week; estimated saving {amount}",
            "add it to finops_components.AutoShutdown."), r.urn)


def _monthly_usd(resource: Any) -> float | None:
    cost = estimate_resource(resource.resource_type, plain(resource.props), provider_region(provider_props(resource)))
    return cost.monthly_usd if cost is not None else None


def _referenced(args: StackValidationArgs, resource_type: str, keys: tuple[str, ...]) -> tuple[set[str], bool]:
    """The ids that resources of ``resource_type`` point at through ``keys``, and whether any of them
    points at something not known until the update (then what it attaches cannot be told)."""
    found: set[str] = set()
    pending = False
    for r in args.resources:
        if r.resource_type == resource_type:
            for key in keys:
                value = get(r.props, key)
                if isinstance(value, str):
                    found.add(value)
                pending = pending or value is UNKNOWN
    return found, pending


def _unattached(r: Any, id_keys: tuple[str, ...], attached: set[str], pending: bool) -> bool:
    ids = [get(r.props, key) for key in id_keys]
    if pending or any(value is UNKNOWN for value in ids):
        return False  # judged again on the update, when ids are known
    return not {value for value in ids if isinstance(value, str)} & attached


def _unattached_volumes(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    attached, pending = _referenced(args, "aws:ec2/volumeAttachment:VolumeAttachment", ("volumeId",))
    for r in args.resources:
        if r.resource_type != VOLUME or not _unattached(r, ("id", "arn"), attached, pending):
            continue
        cost = _monthly_usd(r)
        money = f"estimated saving ${cost:,.2f}/month" if cost else "saving not priced"
        yield AtResource(violation(f"{VOLUME} '{r.name}'", "unattached EBS volume",
                                   "no aws.ec2.VolumeAttachment in the stack attaches it",
                                   f"attach it or delete it (volumes bill by the GB-month, attached or not); {money}",
                                   "attach the volume to an instance, or remove it."), r.urn)


def _idle_elastic_ips(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    associated, pending = _referenced(args, "aws:ec2/eipAssociation:EipAssociation", ("allocationId", "publicIp"))
    # A NAT gateway holds its Elastic IP through allocationId: that address is in use.
    held, nat_pending = _referenced(args, "aws:ec2/natGateway:NatGateway", ("allocationId",))
    associated, pending = associated | held, pending or nat_pending
    for r in args.resources:
        if r.resource_type != "aws:ec2/eip:Eip":
            continue
        if any(get(r.props, key) is not MISSING for key in ("instance", "networkInterface")):
            continue
        if not _unattached(r, ("id", "allocationId", "publicIp"), associated, pending):
            continue
        cost = _monthly_usd(r)
        money = f"estimated saving ${cost:,.2f}/month" if cost else "saving not priced"
        yield AtResource(violation(f"aws:ec2/eip:Eip '{r.name}'", "unassociated Elastic IP",
                                   "no instance, network interface or aws.ec2.EipAssociation",
                                   f"associate it or release it (public IPv4 addresses bill by the hour); {money}",
                                   "associate the address, or remove it."), r.urn)


def _spot_for_non_prod(subject: Subject, rules: Rules) -> Iterator[Finding]:
    env = subject.environment(rules, subject.declared_environment(rules))
    if env is None or env.name == "prod" or get(subject.props, "capacityType") == "SPOT":
        return
    cost = estimate_resource(subject.type, subject.inputs, subject.region)
    share = rules.advice.spot_discount_percent
    money = (f"estimated saving ${cost.monthly_usd * share / 100:,.2f}/month at a typical {share:g} % spot "
             "discount") if cost and cost.monthly_usd else "saving not priced"
    yield violation(subject.describe(), f"on-demand nodes in {env.name}", "capacityType=ON_DEMAND",
                    f"capacityType=SPOT outside prod (interruptible, with several instance types); {money}",
                    "set capacityType to SPOT and list two or more instance types.")


# Resources that run all month in prod and have a Savings Plan or reserved-capacity price.
_COMMITTABLE = frozenset({
    "aws:ec2/instance:Instance", "aws:eks/nodeGroup:NodeGroup", "aws:rds/instance:Instance",
    "aws:rds/clusterInstance:ClusterInstance", "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster", "aws:opensearch/domain:Domain", "aws:redshift/cluster:Cluster"})


def _commitment_for_prod(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    """One hint per prod stack: Savings Plans and reservations are bought per account, not per resource."""
    env = rules.environment_of(None, current_stack())
    if env is None or env.name != "prod":
        return
    steady = [(r.name, cost) for r in args.resources if r.resource_type in _COMMITTABLE
              if (cost := _monthly_usd(r))]
    total = sum(cost for _, cost in steady)
    if not total:
        return
    share = rules.advice.commitment_discount_percent
    yield violation("stack", "on-demand prices for always-on prod resources",
                    f"${total:,.2f}/month of compute, databases and caches on on-demand prices ({len(steady)} "
                    "resources)", f"a 1-year Savings Plan or reserved capacity for the steady part; estimated "
                    f"saving ${total * share / 100:,.2f}/month at {share:g} %",
                    "have finance cover steady prod usage with a Savings Plan or reservations (no code change); "
                    "a price book (--price-book) then shows the discounted estimate.")


SPECS: list[ResourcePolicySpec | StackPolicySpec] = [
    ResourcePolicySpec("finops-advice-spot", "Node groups outside prod can run on spot capacity at a fraction of "
                       "the on-demand price.", _types(NODE_GROUP), _spot_for_non_prod, level=ADVISORY),
    StackPolicySpec("finops-advice-commitment", "Prod resources that run all month cost less under a Savings "
                    "Plan or reserved capacity.", _commitment_for_prod, level=ADVISORY),
    StackPolicySpec("finops-advice-unattached-volume", "EBS volumes that nothing attaches bill every month.",
                    _unattached_volumes, level=ADVISORY),
    StackPolicySpec("finops-advice-idle-eip", "Elastic IPs that are not associated bill every hour.",
                    _idle_elastic_ips, level=ADVISORY),
    *RESOURCE_SPECS,
    StackPolicySpec("finops-advice-bucket-lifecycle", "Buckets without lifecycle rules keep every object in its "
                    "most expensive class forever.", _bucket_lifecycle, level=ADVISORY),
    StackPolicySpec("finops-advice-dev-auto-shutdown", "Dev compute and databases without an auto-shutdown "
                    "schedule run (and bill) all night and weekend.", _auto_shutdown, level=ADVISORY),
]
