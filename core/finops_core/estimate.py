"""Monthly estimate of one resource from its inputs. One function per priced resource type.

Compute is priced for a full month of on-demand hours (730); usage-priced resources (S3,
Lambda, log ingestion ...) are listed as such, with an amount only when a usage file gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .prices import Price, PriceCatalogue, load_prices

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class Estimate:
    monthly_usd: float | None       # None: cannot be priced (unknown value, missing price)
    basis: str                      # how the figure was made, for the report
    fallback_regions: set[str] = field(default_factory=set)
    usage_priced: bool = False

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None


class _Unpriced(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Pricer:
    """Looks prices up for one region and remembers which figures came from the fallback."""

    def __init__(self, catalogue: PriceCatalogue, region: str) -> None:
        self.catalogue, self.region = catalogue, region
        self.fallbacks: set[str] = set()
        self.hours = catalogue.hours_per_month

    def get(self, table: str, key: Any, what: str) -> float:
        if not isinstance(key, str) or key == UNKNOWN:
            raise _Unpriced(f"{what} not known until the update")
        price: Price | None = self.catalogue.price(table, key, self.region)
        if price is None:
            raise _Unpriced(f"no price for {what} {key} in the catalogue")
        if price.region != self.region:
            self.fallbacks.add(price.region)
        return price.usd


def _number(value: Any, default: float, what: str) -> float:
    if value is None:
        return default
    if value == UNKNOWN:
        raise _Unpriced(f"{what} not known until the update")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _Unpriced(f"{what}={value!r} is not a number") from None


def _block(inputs: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = inputs.get(key)
    return value if isinstance(value, Mapping) else {}


def _instance(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    hourly = p.get("ec2", i.get("instanceType"), "instance type")
    root = _block(i, "rootBlockDevice")
    size = _number(root.get("volumeSize"), 8, "root volume size")
    gb = p.get("ebsGbMonth", root.get("volumeType") or "gp3", "volume type")
    return hourly * p.hours + size * gb, f"{i.get('instanceType')} x {p.hours:g} h + {size:g} GiB root volume"


def _volume(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    size = _number(i.get("size"), 0, "size")
    kind = i.get("type") or "gp2"
    return size * p.get("ebsGbMonth", kind, "volume type"), f"{size:g} GiB {kind}"


def _database(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    copies = 2 if i.get("multiAz") is True else 1
    hourly = p.get("rds", i.get("instanceClass"), "database class")
    storage = _number(i.get("allocatedStorage"), 20, "allocated storage")
    gb = p.get("rdsStorageGbMonth", i.get("storageType") or "gp2", "storage type")
    az = " x 2 (Multi-AZ)" if copies == 2 else ""
    return copies * (hourly * p.hours + storage * gb), f"{i.get('instanceClass')} + {storage:g} GiB{az}"


def _cluster_instance(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    if i.get("instanceClass") == "db.serverless":
        raise _Unpriced("Aurora Serverless is priced by ACU-hours used")
    return p.get("rds", i.get("instanceClass"), "database class") * p.hours, str(i.get("instanceClass"))


def _cache_nodes(i: Mapping[str, Any]) -> float:
    if i.get("numCacheClusters") is not None:
        return _number(i.get("numCacheClusters"), 1, "numCacheClusters")
    groups = _number(i.get("numNodeGroups"), 1, "numNodeGroups")
    return groups * (_number(i.get("replicasPerNodeGroup"), 0, "replicasPerNodeGroup") + 1)


def _replication_group(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    nodes = _cache_nodes(i)
    return nodes * p.get("elasticache", i.get("nodeType"), "node type") * p.hours, f"{nodes:g} x {i.get('nodeType')}"


def _cache_cluster(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    nodes = _number(i.get("numCacheNodes"), 1, "numCacheNodes")
    return nodes * p.get("elasticache", i.get("nodeType"), "node type") * p.hours, f"{nodes:g} x {i.get('nodeType')}"


def _hourly(key: str, label: str) -> Callable[[_Pricer, Mapping[str, Any]], tuple[float, str]]:
    def price(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
        return p.get("hourly", key, label) * p.hours, f"{label} x {p.hours:g} h"

    return price


def _node_group(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    scaling = _block(i, "scalingConfig")
    nodes = _number(scaling.get("desiredSize"), 1, "desired size")
    types = i.get("instanceTypes") or ["t3.medium"]
    first = types[0] if isinstance(types, list) and types else types
    disk = _number(i.get("diskSize"), 20, "disk size")
    per_node = p.get("ec2", first, "instance type") * p.hours + disk * p.get("ebsGbMonth", "gp2", "volume type")
    return nodes * per_node, f"{nodes:g} x {first} (desired size) + {disk:g} GiB disk each"


def _load_balancer(p: _Pricer, i: Mapping[str, Any]) -> tuple[float, str]:
    kind = i.get("loadBalancerType") or "application"
    key = {"application": "applicationLoadBalancer", "network": "networkLoadBalancer"}.get(str(kind))
    if key is None:
        raise _Unpriced(f"no price for {kind} load balancers in the catalogue")
    return p.get("hourly", key, f"{kind} load balancer") * p.hours, f"{kind} load balancer x {p.hours:g} h (+ LCUs)"


ESTIMATORS: dict[str, Callable[[_Pricer, Mapping[str, Any]], tuple[float, str]]] = {
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": _instance,
    "aws:ebs/volume:Volume": _volume,
    "aws:rds/instance:Instance": _database,
    "aws:rds/clusterInstance:ClusterInstance": _cluster_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/cluster:Cluster": _cache_cluster,
    "aws:eks/cluster:Cluster": _hourly("eksCluster", "EKS cluster"),
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _hourly("natGateway", "NAT gateway"),
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:elb/loadBalancer:LoadBalancer": _hourly("classicLoadBalancer", "classic load balancer"),
}


def estimate_resource(resource_type: str, inputs: Mapping[str, Any], region: str,
                      usage_usd: float | None = None, catalogue: PriceCatalogue | None = None) -> Estimate | None:
    """The monthly estimate, or None for resources that cost nothing by themselves (IAM, tags ...)."""
    catalogue = catalogue or load_prices()
    estimator = ESTIMATORS.get(resource_type)
    if estimator is None:
        usage = catalogue.usage_priced.get(resource_type)
        if usage is None:
            return None
        if usage_usd is not None:
            return Estimate(usage_usd, "from the usage file", usage_priced=True)
        return Estimate(0.0, f"usage-priced ({usage})", usage_priced=True)
    pricer = _Pricer(catalogue, region)
    try:
        amount, basis = estimator(pricer, inputs)
    except _Unpriced as exc:
        return Estimate(None, exc.reason)
    if pricer.fallbacks:
        basis += f" (price of {', '.join(sorted(pricer.fallbacks))}: none recorded for {region})"
    return Estimate(round(amount, 2), basis, pricer.fallbacks)
