"""The typed guardrail rules. Values come from ``rules.yaml`` through :mod:`.loader`.

Each cap is a frozen dataclass whose fields carry the YAML key in their metadata, so adding
a cap is one field here plus one entry in the YAML file; the loader needs no change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from ..quantity import parse_quantity


def key(name: str, **extra: Any) -> Any:
    """Declare the YAML/config key of a dataclass field."""
    return field(metadata={"key": name, **extra})


@dataclass(frozen=True)
class TagRule:
    key: str
    allowed: tuple[str, ...] | None = None
    pattern: re.Pattern[str] | None = None
    hint: str | None = None

    def accepts(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if self.allowed is not None:
            return value in self.allowed
        return self.pattern is None or self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        if self.allowed is not None:
            return "one of " + ", ".join(self.allowed)
        described = f"a value matching {self.pattern.pattern}" if self.pattern else "any non-empty value"
        return f"{described} ({self.hint})" if self.hint else described


@dataclass(frozen=True)
class InstanceCap:
    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_gpus: int = key("maxGpus")


@dataclass(frozen=True)
class DatabaseCap:
    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_storage_gib: float = key("maxStorageGib", unit="GiB")
    multi_az: bool = key("multiAz")
    # Aurora Serverless v2 capacity; an ACU is about 2 GiB of memory, so by default the class cap.
    max_acus: float = key("maxAcus", unit="ACUs", derive="database.maxMemoryGib/2")


@dataclass(frozen=True)
class CacheCap:
    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")


@dataclass(frozen=True)
class EbsVolumeCap:
    max_size_gib: float = key("maxSizeGib", unit="GiB")


@dataclass(frozen=True)
class LambdaCap:
    max_memory_mb: int = key("maxMemoryMb", unit="MB")


@dataclass(frozen=True)
class NodeGroupCap:
    max_size: int = key("maxSize", unit="nodes")


# Sections added after the first release are optional in an organisation's rules file: a
# missing one is derived (``derive``) from the environment's instance and node-group caps, so a
# file written for an earlier release keeps loading and judges the new kinds no looser than EC2.
_INSTANCE_LIKE = {"maxVcpus": "instance.maxVcpus", "maxMemoryGib": "instance.maxMemoryGib"}


@dataclass(frozen=True)
class SearchCap:
    """OpenSearch domains: data, dedicated master and warm node types; data node count."""

    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_nodes: int = key("maxNodes", unit="nodes", derive="nodeGroup.maxSize")


@dataclass(frozen=True)
class StreamingCap:
    """MSK clusters: broker type and broker count."""

    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_brokers: int = key("maxBrokers", unit="brokers", derive="nodeGroup.maxSize")


@dataclass(frozen=True)
class WarehouseCap:
    """Redshift: node type and count; Redshift Serverless base and maximum RPUs."""

    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_nodes: int = key("maxNodes", unit="nodes", derive="nodeGroup.maxSize")
    max_rpus: float = key("maxRpus", unit="RPUs", derive="instance.maxMemoryGib")


@dataclass(frozen=True)
class AnalyticsCap:
    """EMR: instance types of every group and fleet, and instance counts."""

    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_gpus: int = key("maxGpus", derive="instance.maxGpus")
    max_instances: int = key("maxInstances", unit="instances", derive="nodeGroup.maxSize")


@dataclass(frozen=True)
class MachineLearningCap:
    """SageMaker endpoints and notebooks: ml. instance types and instance counts."""

    max_vcpus: float = key("maxVcpus")
    max_memory_gib: float = key("maxMemoryGib")
    max_gpus: int = key("maxGpus", derive="instance.maxGpus")
    max_instances: int = key("maxInstances", unit="instances", derive="nodeGroup.maxSize")


@dataclass(frozen=True)
class ProvisioningCap:
    """What one stack may hold in all (0: no limit): instances, node-group nodes (their maximum
    sizes), databases, and GPUs/accelerators across them. Optional; a file without it sets none."""

    max_instances: int = key("maxInstances", unit="instances", default=0)
    max_nodes: int = key("maxNodes", unit="nodes", default=0)
    max_databases: int = key("maxDatabases", unit="databases", default=0)
    max_gpus: int = key("maxGpus", unit="GPUs", default=0)


@dataclass(frozen=True)
class TaskCap:
    """ECS task definitions (what Fargate bills): vCPUs and memory of the task."""

    max_vcpus: float = key("maxVcpus", unit="vCPU")
    max_memory_gib: float = key("maxMemoryGib", unit="GiB")


@dataclass(frozen=True)
class ContainerCap:
    # Quantities as written by the user ("1", "2Gi"), kept for messages; parsed once here.
    max_cpu: str = key("maxCpu", quantity=True)
    max_memory: str = key("maxMemory", quantity=True)
    # Unbounded containers defeat every cap; a LimitRange default counts only if the
    # policy can see it, which it cannot at preview time.
    require_limits: bool = key("requireLimits", default=True)
    # Extended resources (nvidia.com/gpu, amd.com/gpu ...) a container may request.
    max_gpus: int = key("maxGpus", derive="instance.maxGpus")
    cpu_cores: Decimal = field(init=False, repr=False)
    memory_bytes: Decimal = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cpu_cores", parse_quantity(self.max_cpu))
        object.__setattr__(self, "memory_bytes", parse_quantity(self.max_memory))


@dataclass(frozen=True)
class LogRetentionCap:
    max_days: int = key("maxDays", unit="days")


# CloudFront's price classes, cheapest first (PriceClass_100: North America and Europe only).
CLOUDFRONT_PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


@dataclass(frozen=True)
class NetworkRules:
    """Network traffic limits of one environment (0 or an empty list: no limit). Optional: a file
    without the section takes :data:`NETWORK_DEFAULTS` for its environment's name."""

    max_nat_gateways: int = key("maxNatGateways", unit="NAT gateways", default=0)
    cloud_front_price_classes: tuple[str, ...] = key("cloudFrontPriceClasses", default=(),
                                                     choices=CLOUDFRONT_PRICE_CLASSES)
    # Data transfer out and NAT processing of the stack, in GB a month, from the usage file.
    max_monthly_egress_gb: float = key("maxMonthlyEgressGb", unit="GB a month", default=0)


# The documented defaults of the optional ``network`` section, by environment name; another
# environment name has no network limit unless its rules say so.
NETWORK_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "dev": {"maxNatGateways": 1, "cloudFrontPriceClasses": ["PriceClass_100"], "maxMonthlyEgressGb": 100},
    "staging": {"maxNatGateways": 3, "cloudFrontPriceClasses": ["PriceClass_100"], "maxMonthlyEgressGb": 2000},
    "prod": {},
}


@dataclass(frozen=True)
class AutoShutdown:
    enabled: bool = key("enabled")
    timezone: str = key("timezone", default="UTC")
    stop: str = key("stop", default="")
    start: str = key("start", default="")


@dataclass(frozen=True)
class EnvironmentDefaults:
    """What the components build when a team does not say: sizes that fit the caps."""

    node_instance_type: str = key("nodeInstanceType")
    node_group_max_size: int = key("nodeGroupMaxSize")
    # EKS managed node groups' capacity: SPOT outside prod (interruptible, a fraction of the price).
    node_capacity_type: str = key("nodeCapacityType", default="ON_DEMAND",
                                     choices=("ON_DEMAND", "SPOT"))
    gpu_instance_type: str = key("gpuInstanceType", default="")  # "" = no GPU nodes here
    database_class: str = key("databaseClass")
    database_storage_gib: int = key("databaseStorageGib")
    database_multi_az: bool = key("databaseMultiAz")
    backup_retention_days: int = key("backupRetentionDays")
    deletion_protection: bool = key("deletionProtection")
    cache_node_type: str = key("cacheNodeType")
    cache_nodes: int = key("cacheNodes")
    log_bucket_expire_days: int = key("logBucketExpireDays")  # 0 = keep forever
    # Data protection that costs money, stricter where it matters (optional keys, defaults: off).
    # S3 Object Lock (governance mode) on the audit log bucket: days each version is locked; 0 = none.
    audit_object_lock_days: int = key("auditObjectLockDays", default=0)
    # EKS control-plane audit and authenticator logs, kept for the environment's logRetention.
    control_plane_logs: bool = key("controlPlaneLogs", default=False)


@dataclass(frozen=True)
class EnvironmentRules:
    name: str
    instance: InstanceCap = key("instance")
    database: DatabaseCap = key("database")
    cache: CacheCap = key("cache")
    ebs_volume: EbsVolumeCap = key("ebsVolume")
    lambda_: LambdaCap = key("lambda")
    node_group: NodeGroupCap = key("nodeGroup")
    container: ContainerCap = key("container")
    log_retention: LogRetentionCap = key("logRetention")
    auto_shutdown: AutoShutdown = key("autoShutdown")
    defaults: EnvironmentDefaults = key("defaults")
    search: SearchCap = key("search", derive=_INSTANCE_LIKE)
    streaming: StreamingCap = key("streaming", derive=_INSTANCE_LIKE)
    warehouse: WarehouseCap = key("warehouse", derive=_INSTANCE_LIKE)
    analytics: AnalyticsCap = key("analytics", derive=_INSTANCE_LIKE)
    machine_learning: MachineLearningCap = key("machineLearning", derive=_INSTANCE_LIKE)
    task: TaskCap = key("task", derive=_INSTANCE_LIKE)
    provisioning: ProvisioningCap = key("provisioning", derive={})
    network: NetworkRules = key("network", derive={})

    def section(self, yaml_key: str) -> Any:
        """The cap block under its rules.yaml key, e.g. ``section("ebsVolume")``."""
        return getattr(self, _SECTION_ATTRS[yaml_key])


_SECTION_ATTRS = {f.metadata["key"]: f.name for f in fields(EnvironmentRules) if "key" in f.metadata}


def cap_key_attr(cap_type: type, yaml_key: str) -> str:
    """The dataclass attribute of a cap's rules.yaml key (``maxSizeGib`` -> ``max_size_gib``)."""
    for f in fields(cap_type):
        if f.metadata.get("key") == yaml_key:
            return f.name
    raise KeyError(f"{cap_type.__name__} has no key {yaml_key}")


# Words that keep their capitals when a key is said in a message.
_WORDS = {"ebs": "EBS", "lambda": "Lambda", "az": "AZ", "nat": "NAT", "acus": "ACUs", "rpus": "RPUs", "gpus": "GPUs",
          "vcpus": "vCPUs"}
_UNIT_SUFFIXES = ("Gib", "Mb", "Days")


def _words(camel: str) -> list[str]:
    return [_WORDS.get(w.lower(), w.lower()) for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", camel)]


def cap_label(section: str, yaml_key: str) -> str:
    """A cap said in words for messages: ``ebsVolume``/``maxSizeGib`` -> ``EBS volume size``,
    ``logRetention``/``maxDays`` -> ``log retention``, ``database``/``multiAz`` -> ``database multi AZ``."""
    key = yaml_key.removeprefix("max")
    for suffix in _UNIT_SUFFIXES:
        key = key.removesuffix(suffix)
    return " ".join(_words(section) + _words(key))


# Units of the keys every size section shares, so each class need not restate them.
_COMMON_UNITS = {"maxVcpus": "vCPU", "maxMemoryGib": "GiB", "maxGpus": "GPUs"}


def cap_unit(cap_type: type, yaml_key: str) -> str:
    declared = next(f.metadata.get("unit", "") for f in fields(cap_type) if f.metadata.get("key") == yaml_key)
    return str(declared or _COMMON_UNITS.get(yaml_key, ""))


@dataclass(frozen=True)
class AdviceRules:
    previous_generation: Mapping[str, str]   # family -> current-generation successor
    graviton: Mapping[str, str]              # x86 family -> Graviton twin family
    dev_hours_per_week: float
    # Assumed discounts behind the spot and commitment advice (the catalogue holds on-demand
    # prices only): what spot capacity typically saves, and a 1-year no-upfront Savings Plan.
    spot_discount_percent: float = 60.0
    commitment_discount_percent: float = 30.0


@dataclass(frozen=True)
class BudgetAlertRules:
    thresholds: tuple[float, ...]
    forecast_threshold: float


@dataclass(frozen=True)
class UtilizationRules:
    """What `finops utilization` and the daily report judge deployed resources against."""

    target_percent: float = 70.0        # the utilization KPI's target; downsizing keeps p95 at or under it
    idle_percent: float = 2.0           # average CPU (or busiest metric) under this: idle
    idle_bytes_per_day: float = 1_000_000.0   # a NAT gateway moving less than this a day: idle


# eq=False: rules compare and hash by identity, which is what the override cache needs.
@dataclass(frozen=True, eq=False)
class Rules:
    source: str
    project: str
    tags: tuple[TagRule, ...]
    # Optional allocation dimensions (e.g. Feature): judged only where a resource carries them,
    # and allocated by in the report. Organisations add their own in rules.yaml.
    allocation_tags: tuple[TagRule, ...]
    labels: Mapping[str, str]
    environments: Mapping[str, EnvironmentRules]
    budget_alerts: BudgetAlertRules
    advice: AdviceRules
    service_owners: Mapping[str, str]         # service -> owning team
    # The merged raw document, kept so that policy-pack config can be layered on top of it
    # and validated by the same loader.
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    utilization: UtilizationRules = field(default_factory=UtilizationRules, compare=False)

    @property
    def tag_keys(self) -> tuple[str, ...]:
        return tuple(rule.key for rule in self.tags)

    @property
    def allocation_keys(self) -> tuple[str, ...]:
        return tuple(rule.key for rule in self.allocation_tags)

    def tag_rule(self, tag_key: str) -> TagRule:
        for rule in (*self.tags, *self.allocation_tags):
            if rule.key == tag_key:
                return rule
        raise KeyError(tag_key)

    def expected_value(self, rule: TagRule) -> str:
        """What a refused tag value should have been, for a team writing its program: the allowed
        values, and where an organisation with teams and services of its own puts them."""
        if rule.allowed is None:
            return rule.describe()
        return (f"{rule.describe()} (from {Path(self.source).name}; an organisation's own values go in its rules "
                f"file: --rules FILE or $FINOPS_RULES_FILE, see examples/other-organisation-rules.yaml)")

    @cached_property
    def label_rules(self) -> tuple[TagRule, ...]:
        """The tag rules keyed by Kubernetes label name: one set of allowed values for both."""
        return tuple(TagRule(self.labels[r.key], r.allowed, r.pattern, r.hint)
                     for r in self.tags if r.key in self.labels)

    @cached_property
    def allocation_label_rules(self) -> tuple[TagRule, ...]:
        return tuple(TagRule(self.labels[r.key], r.allowed, r.pattern, r.hint)
                     for r in self.allocation_tags if r.key in self.labels)

    def environment_of(self, declared: object, stack: str | None) -> EnvironmentRules | None:
        """The environment a resource belongs to: its declared tag/label, else the stack name.

        A stack named ``dev`` or ``dev-alice`` belongs to ``dev``; an unknown name to none.
        """
        if isinstance(declared, str) and declared in self.environments:
            return self.environments[declared]
        if stack:
            if stack in self.environments:
                return self.environments[stack]
            for name, env in self.environments.items():
                if stack.startswith((f"{name}-", f"{name}.", f"{name}_")):
                    return env
        return None
