"""What `finops utilization` reads: the deployed resources of one environment and their metrics.

Resources come from the Resource Groups Tagging API (``Environment`` = the environment asked
for), or from a ``pulumi stack export`` (``--state``); EC2, RDS and ElastiCache fill in their
sizes. Resources of the account without an ``Environment`` tag (instances, databases, volumes,
Elastic IPs) are read too, as unattributed; those tagged for another environment never are.
Unattached volumes and unassociated Elastic IPs count as unused.

Metrics come from CloudWatch GetMetricData: hourly averages (sums for requests and bytes) over
the period, at most 500 queries a call. Every call goes through boto3 with the usual
credentials and ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError

from .engine_state import read_state

ENVIRONMENT_TAG = "Environment"
INSTANCE = "aws:ec2/instance:Instance"
DATABASE = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/cluster:Cluster"
VOLUME = "aws:ebs/volume:Volume"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
CLASSIC_LOAD_BALANCER = "aws:elb/loadBalancer:LoadBalancer"
ECS_SERVICE = "aws:ecs/service:Service"
SEARCH = "aws:opensearch/domain:Domain"
# What the Tagging API is asked for (its resource type filters).
# Volumes and Elastic IPs are read from EC2 itself, which also says whether they are attached.
TAGGING_TYPES = ["ec2:instance", "ec2:natgateway", "rds:db", "elasticache:cluster",
                 "elasticloadbalancing:loadbalancer", "ecs:service", "es:domain"]


@dataclass(frozen=True)
class Query:
    role: str                       # cpu | memory | requests | bytes | idle
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Average"


@dataclass
class Deployed:
    """One deployed resource: what prices it (type, inputs) and which metrics describe it."""

    id: str
    resource_type: str
    name: str
    tags: dict[str, str]
    inputs: dict[str, Any] = field(default_factory=dict)
    size_key: str | None = None
    queries: list[Query] = field(default_factory=list)
    unused: str | None = None
    hourly: dict[str, list[float]] = field(default_factory=dict)   # role -> hourly values


def _cpu_queries(resource_type: str, id_: str) -> list[Query]:
    if resource_type == INSTANCE:
        dims = (("InstanceId", id_),)
        return [Query("cpu", "AWS/EC2", "CPUUtilization", dims),
                Query("memory", "CWAgent", "mem_used_percent", dims)]
    if resource_type == DATABASE:
        return [Query("cpu", "AWS/RDS", "CPUUtilization", (("DBInstanceIdentifier", id_),))]
    if resource_type == CACHE:
        return [Query("cpu", "AWS/ElastiCache", "EngineCPUUtilization", (("CacheClusterId", id_),))]
    if resource_type == VOLUME:
        return [Query("idle", "AWS/EBS", "VolumeIdleTime", (("VolumeId", id_),), "Sum")]
    if resource_type == NAT:
        return [Query("bytes", "AWS/NATGateway", "BytesOutToDestination", (("NatGatewayId", id_),), "Sum")]
    return []


def _arn_parts(arn: str) -> tuple[str, str]:
    """(service:resource-type, resource id) of an ARN such as arn:aws:ec2:r:a:instance/i-1."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", arn
    service, rest = parts[2], parts[5]
    if service == "rds" or service == "elasticache":   # arn:aws:rds:r:a:db:name
        kind, _, ident = rest.partition(":")
    else:
        kind, _, ident = rest.partition("/")
    return f"{service}:{kind}", ident


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in items or []}


def _name(tags: Mapping[str, str], fallback: str) -> str:
    return tags.get("Name") or fallback


class AwsReader:
    """The environment's deployed resources and their metrics, through boto3."""

    def __init__(self, region: str | None = None, session: Any = None) -> None:
        if session is None:
            try:
                import boto3
            except ImportError:
                raise ConfigError("finops utilization", None, "<boto3 not installed>",
                                  "pip install 'finops-guardrails[actuals]'") from None
            session = boto3.session.Session(region_name=region)
        self.session = session
        self.region: str = session.region_name or "us-east-1"

    def client(self, service: str) -> Any:
        return self.session.client(service)

    # -- discovery -------------------------------------------------------------------------
    def tagged(self, environment: str) -> list[Deployed]:
        """The resources tagged ``Environment=<environment>`` (Tagging API), with their sizes."""
        tagging = self.client("resourcegroupstaggingapi")
        found: list[Deployed] = []
        token = ""
        while True:
            page = tagging.get_resources(TagFilters=[{"Key": ENVIRONMENT_TAG, "Values": [environment]}],
                                         ResourceTypeFilters=TAGGING_TYPES, PaginationToken=token)
            for mapping in page.get("ResourceTagMappingList", []):
                deployed = self._from_arn(str(mapping["ResourceARN"]), _tags(mapping.get("Tags")))
                if deployed is not None:
                    found.append(deployed)
            token = page.get("PaginationToken") or ""
            if not token:
                break
        self._fill_details(found)
        return found + self._volumes_and_addresses([{"Name": f"tag:{ENVIRONMENT_TAG}", "Values": [environment]}],
                                                   lambda tags: True)

    def _from_arn(self, arn: str, tags: dict[str, str]) -> Deployed | None:
        kind, ident = _arn_parts(arn)
        if kind == "elasticloadbalancing:loadbalancer":
            suffix = ident   # app/name/id or net/name/id: the LoadBalancer dimension; a classic one: its name
            if suffix.startswith(("app/", "net/")):
                application = suffix.startswith("app/")
                query = Query("requests", "AWS/ApplicationELB" if application else "AWS/NetworkELB",
                              "RequestCount" if application else "NewFlowCount", (("LoadBalancer", suffix),), "Sum")
                return Deployed(arn, LOAD_BALANCER, _name(tags, suffix.split("/")[1]), tags,
                                {"loadBalancerType": "application" if application else "network"}, queries=[query])
            return Deployed(arn, CLASSIC_LOAD_BALANCER, _name(tags, suffix), tags, queries=[
                Query("requests", "AWS/ELB", "RequestCount", (("LoadBalancerName", suffix),), "Sum")])
        if kind == "ecs:service":
            cluster, _, service = ident.partition("/")
            dims = (("ClusterName", cluster), ("ServiceName", service))
            return Deployed(arn, ECS_SERVICE, _name(tags, service), tags,
                            queries=[Query("cpu", "AWS/ECS", "CPUUtilization", dims),
                                     Query("memory", "AWS/ECS", "MemoryUtilization", dims)])
        if kind == "es:domain":
            account = arn.split(":")[4]
            dims = (("DomainName", ident), ("ClientId", account))
            return Deployed(arn, SEARCH, _name(tags, ident), tags,
                            queries=[Query("cpu", "AWS/ES", "CPUUtilization", dims)])
        resource_type = {"ec2:instance": INSTANCE, "rds:db": DATABASE, "elasticache:cluster": CACHE,
                         "ec2:volume": VOLUME, "ec2:elastic-ip": EIP, "ec2:natgateway": NAT}.get(kind)
        if resource_type is None:
            return None
        return Deployed(ident, resource_type, _name(tags, ident), tags, queries=_cpu_queries(resource_type, ident))

    def _fill_details(self, found: list[Deployed]) -> None:
        """Sizes (instance type, DB class, node type), volumes' attachment and EIPs' association."""
        by_type: dict[str, dict[str, Deployed]] = defaultdict(dict)
        for deployed in found:
            by_type[deployed.resource_type][deployed.id] = deployed
        ec2 = self.client("ec2")
        if by_type[INSTANCE]:
            for reservation in ec2.describe_instances(InstanceIds=list(by_type[INSTANCE]))["Reservations"]:
                for instance in reservation["Instances"]:
                    self._instance(by_type[INSTANCE][instance["InstanceId"]], instance)
        if by_type[VOLUME]:
            for volume in ec2.describe_volumes(VolumeIds=list(by_type[VOLUME]))["Volumes"]:
                self._volume(by_type[VOLUME][volume["VolumeId"]], volume)
        if by_type[EIP]:
            for address in ec2.describe_addresses(AllocationIds=list(by_type[EIP]))["Addresses"]:
                self._address(by_type[EIP][address["AllocationId"]], address)
        rds = self.client("rds") if by_type[DATABASE] else None
        for ident, deployed in by_type[DATABASE].items():
            assert rds is not None
            for db in rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"]:
                self._database(deployed, db)
        cache = self.client("elasticache") if by_type[CACHE] else None
        for ident, deployed in by_type[CACHE].items():
            assert cache is not None
            for cluster in cache.describe_cache_clusters(CacheClusterId=ident)["CacheClusters"]:
                deployed.inputs = {"nodeType": cluster.get("CacheNodeType"), "engine": cluster.get("Engine"),
                                   "numCacheNodes": cluster.get("NumCacheNodes", 1)}
                deployed.size_key = "nodeType"

    @staticmethod
    def _instance(deployed: Deployed, instance: Mapping[str, Any]) -> None:
        deployed.inputs = {"instanceType": instance.get("InstanceType")}
        deployed.size_key = "instanceType"
        state = (instance.get("State") or {}).get("Name")
        if state in ("stopped", "terminated", "shutting-down"):
            deployed.queries = []   # nothing runs, nothing is billed by the hour
            deployed.unused = None

    @staticmethod
    def _volume(deployed: Deployed, volume: Mapping[str, Any]) -> None:
        deployed.inputs = {"size": volume.get("Size"), "type": volume.get("VolumeType")}
        if not volume.get("Attachments"):
            deployed.unused = "unused: an EBS volume attached to nothing (billed by the GB-month all the same)"

    @staticmethod
    def _address(deployed: Deployed, address: Mapping[str, Any]) -> None:
        if not address.get("AssociationId"):
            deployed.unused = "unused: an Elastic IP associated with nothing (public IPv4 is billed by the hour)"

    @staticmethod
    def _database(deployed: Deployed, db: Mapping[str, Any]) -> None:
        deployed.inputs = {"instanceClass": db.get("DBInstanceClass"), "engine": db.get("Engine"),
                           "allocatedStorage": db.get("AllocatedStorage"), "multiAz": db.get("MultiAZ", False)}
        deployed.size_key = "instanceClass"

    def _volumes_and_addresses(self, filters: list[dict[str, Any]],
                               keep: Callable[[Mapping[str, str]], bool]) -> list[Deployed]:
        """EBS volumes and Elastic IPs matching the EC2 filters whose tags ``keep`` accepts."""
        found: list[Deployed] = []
        ec2 = self.client("ec2")
        for page in ec2.get_paginator("describe_volumes").paginate(Filters=filters):
            for volume in page["Volumes"]:
                tags = _tags(volume.get("Tags"))
                if keep(tags):
                    ident = volume["VolumeId"]
                    deployed = Deployed(ident, VOLUME, _name(tags, ident), tags, queries=_cpu_queries(VOLUME, ident))
                    self._volume(deployed, volume)
                    found.append(deployed)
        for address in ec2.describe_addresses(Filters=filters).get("Addresses", []):
            tags = _tags(address.get("Tags"))
            if keep(tags) and address.get("AllocationId"):
                deployed = Deployed(address["AllocationId"], EIP, _name(tags, address.get("PublicIp", "")), tags)
                self._address(deployed, address)
                found.append(deployed)
        return found

    def untagged(self) -> list[Deployed]:
        """Instances, databases, volumes and Elastic IPs of the account with no Environment tag."""
        found: list[Deployed] = []
        ec2 = self.client("ec2")
        for page in ec2.get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    tags = _tags(instance.get("Tags"))
                    if ENVIRONMENT_TAG not in tags and instance.get("State", {}).get("Name") != "terminated":
                        ident = instance["InstanceId"]
                        deployed = Deployed(ident, INSTANCE, _name(tags, ident), tags,
                                            queries=_cpu_queries(INSTANCE, ident))
                        self._instance(deployed, instance)
                        found.append(deployed)
        # An attached volume without tags belongs to its instance (a root volume): only the unattached
        # ones, unused whoever made them, are reported.
        found += [d for d in self._volumes_and_addresses([], lambda tags: ENVIRONMENT_TAG not in tags)
                  if d.unused]
        rds = self.client("rds")
        for page in rds.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                tags = _tags(db.get("TagList"))
                if ENVIRONMENT_TAG not in tags:
                    ident = db["DBInstanceIdentifier"]
                    deployed = Deployed(ident, DATABASE, ident, tags, queries=_cpu_queries(DATABASE, ident))
                    self._database(deployed, db)
                    found.append(deployed)
        return found

    # -- metrics ---------------------------------------------------------------------------
    @staticmethod
    def _existing(cloudwatch: Any, metrics: set[tuple[str, str]]) -> dict[tuple[str, str], set[frozenset[Any]]]:
        """The dimension sets each metric has data for (ListMetrics), so that GetMetricData is asked
        only for series that exist: a CloudWatch agent metric most instances lack costs nothing."""
        existing: dict[tuple[str, str], set[frozenset[Any]]] = {}
        for namespace, metric in sorted(metrics):
            found: set[frozenset[Any]] = set()
            for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
                for listed in page.get("Metrics", []):
                    found.add(frozenset((d["Name"], d["Value"]) for d in listed.get("Dimensions", [])))
            existing[(namespace, metric)] = found
        return existing

    def read_metrics(self, resources: list[Deployed], start: dt.datetime, end: dt.datetime) -> None:
        """Each resource's hourly values per role, from GetMetricData (500 queries a call)."""
        cloudwatch = self.client("cloudwatch")
        existing = self._existing(cloudwatch, {(q.namespace, q.metric) for r in resources for q in r.queries})
        wanted = ((r, q) for r in resources for q in r.queries
                  if frozenset(q.dimensions) in existing[(q.namespace, q.metric)])
        queries = [(f"q{n}", r, q) for n, (r, q) in enumerate(wanted)]
        for first in range(0, len(queries), 500):
            batch = {ident: (r, q) for ident, r, q in queries[first:first + 500]}
            request: dict[str, Any] = {
                "MetricDataQueries": [{"Id": ident, "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": q.namespace, "MetricName": q.metric,
                               "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions]},
                    "Period": 3600, "Stat": q.stat}} for ident, (_, q) in batch.items()],
                "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
            while True:
                page = cloudwatch.get_metric_data(**request)
                for result in page.get("MetricDataResults", []):
                    resource, query = batch[result["Id"]]
                    resource.hourly.setdefault(query.role, []).extend(float(v) for v in result.get("Values", []))
                token = page.get("NextToken")
                if not token:
                    break
                request["NextToken"] = token


def from_state(path: Path, stack_environment: str) -> Iterator[Deployed]:
    """The measurable resources of a ``pulumi stack export``, with their deployed sizes."""
    for r in read_state(path):
        if not r.custom or not r.id:
            continue
        props = {**r.inputs, **r.outputs}
        tags = {str(k): str(v) for k, v in (props.get("tags") or {}).items()} \
            if isinstance(props.get("tags"), Mapping) else {}
        tags.setdefault(ENVIRONMENT_TAG, stack_environment)
        if r.type == INSTANCE:
            yield Deployed(r.id, INSTANCE, r.name, tags, {"instanceType": props.get("instanceType")}, "instanceType",
                           _cpu_queries(INSTANCE, r.id))
        elif r.type == DATABASE:
            ident = str(props.get("identifier") or r.id)
            yield Deployed(ident, DATABASE, r.name, tags,
                           {k: props.get(k) for k in ("instanceClass", "engine", "allocatedStorage", "multiAz")},
                           "instanceClass", _cpu_queries(DATABASE, ident))
        elif r.type == CACHE:
            ident = str(props.get("clusterId") or r.id)
            yield Deployed(ident, CACHE, r.name, tags,
                           {k: props.get(k) for k in ("nodeType", "engine", "numCacheNodes")}, "nodeType",
                           _cpu_queries(CACHE, ident))
        elif r.type in (NAT, VOLUME):
            yield Deployed(r.id, r.type, r.name, tags, {k: props.get(k) for k in ("size", "type")}
                           if r.type == VOLUME else {}, None, _cpu_queries(r.type, r.id))
        elif r.type in (LOAD_BALANCER, "aws:alb/loadBalancer:LoadBalancer"):
            suffix = str(props.get("arnSuffix") or "")
            lb_type = str(props.get("loadBalancerType") or "application")
            if suffix:
                namespace, metric = (("AWS/ApplicationELB", "RequestCount") if lb_type == "application"
                                     else ("AWS/NetworkELB", "NewFlowCount"))
                yield Deployed(str(props.get("arn") or r.id), LOAD_BALANCER, r.name, tags,
                               {"loadBalancerType": lb_type}, None,
                               [Query("requests", namespace, metric, (("LoadBalancer", suffix),), "Sum")])
