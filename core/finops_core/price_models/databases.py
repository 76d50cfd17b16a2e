"""Databases, caches and search: RDS, Aurora, DocumentDB/Neptune/Redshift instances, ElastiCache,
MemoryDB, DynamoDB provisioned capacity and OpenSearch domains.

RDS is priced by engine and deployment: the catalogue's ``rds`` keys are
``<engine>/<class>/single|multi`` (the Multi-AZ price as AWS lists it, not twice the single-AZ
one) and ``aurora-<mysql|postgresql>/<class>[/io-optimized]`` for Aurora.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import catalogue
from ..quote import Quote, Unpriced, model
from ..values import MISSING, UNKNOWN
from ..waivers import today as estimate_day

AURORA = {"aurora": "aurora-mysql", "aurora-mysql": "aurora-mysql", "aurora-postgresql": "aurora-postgresql"}
# Engines whose licence is included in the price unless licenseModel says bring-your-own-license.
LICENSED = ("oracle-se1", "oracle-se2", "oracle-se2-cdb", "sqlserver-ex", "sqlserver-web", "sqlserver-se",
            "sqlserver-ee")
BYOL_ONLY = ("oracle-se", "oracle-ee", "oracle-ee-cdb")   # priced at the BYOL rate


def rds_engine(q: Quote) -> str:
    # No engine: the platform's Database component (PostgreSQL), as before engines were priced.
    engine = q.text("engine", "postgres").lower()
    if engine in AURORA:
        return AURORA[engine]
    if engine in BYOL_ONLY or (engine.startswith("oracle") and q.text("licenseModel") == "bring-your-own-license"):
        return "oracle-byol"
    if engine.startswith("custom-"):
        raise Unpriced(f"engine={engine}: RDS Custom is not in the catalogue")
    return engine


def _gp3_baseline(q: Quote, engine: str, size: float) -> tuple[float, float]:
    """(IOPS, MiB/s) included with RDS gp3 storage of ``size`` GiB for the engine (price params)."""
    table: Mapping[str, Any] = q.params.get("gp3Baselines", {})
    family = next((name for name in table if name != "default" and engine.startswith(name)), "default")
    threshold, low_iops, low_mbps, high_iops, high_mbps = table.get(family, [400, 3000, 125, 12000, 500])
    return (high_iops, high_mbps) if size >= threshold else (low_iops, low_mbps)


@model("rds-instance")
def rds_instance(q: Quote) -> None:
    engine = rds_engine(q)
    cls = q.known("instanceClass")
    if engine.startswith("aurora"):
        # An rds.Instance with an Aurora engine is a cluster member: Aurora rates, storage on the cluster.
        q.hourly(f"{engine} {cls}", 1, "rds", f"{engine}/{cls}", f"{engine} class")
        extended_support(q, engine, str(cls), 1)
        return
    multi = q.flag("multiAz")
    deployment = "multi" if multi else "single"
    shown = " Multi-AZ" if multi else ""
    q.hourly(f"{engine} {cls}{shown}", 1, "rds", f"{engine}/{cls}/{deployment}", f"{engine}{shown} class")
    extended_support(q, engine, str(cls), 2 if multi else 1)
    size = q.number("allocatedStorage", 20)
    iops = q.number("iops", 0)
    storage = q.text("storageType", "io1" if iops else "gp2")
    if storage in ("io1", "io2"):
        if size < 100:
            q.note(f"{storage} storage billed at its 100 GiB minimum")
        size, iops = max(size, 100), max(iops, 1000)
    storage_key = "standard" if storage == "magnetic" else storage
    q.fixed(f"{storage} storage{shown}", size, "GB-months", "rdsStorageGbMonth", f"{storage_key}/{deployment}",
            "storage type")
    if storage in ("io1", "io2"):
        q.fixed(f"provisioned IOPS{shown}", iops, "IOPS-months", "rdsIopsMonth", f"{storage}/{deployment}",
                "IOPS of")
    if storage == "gp3":
        free_iops, free_mbps = _gp3_baseline(q, engine, size)
        if iops > free_iops:
            q.fixed(f"IOPS above {free_iops:g}{shown}", iops - free_iops, "IOPS-months", "rdsIopsMonth",
                    f"gp3_above_baseline/{deployment}", "gp3 IOPS")
        mbps = q.number("storageThroughput", 0)
        if mbps > free_mbps:
            q.fixed(f"throughput above {free_mbps:g} MiB/s{shown}", mbps - free_mbps, "MiB/s-months",
                    "rdsThroughputMbpsMonth", f"gp3_above_baseline/{deployment}", "gp3 throughput")


def extended_support(q: Quote, engine: str, cls: str, copies: float) -> None:
    """RDS Extended Support for an engine major version past its end of standard support on the day
    of the estimate: per vCPU-hour, twice the rate from year 3 (calendar ``rdsExtendedSupport``)."""
    version = q.value("engineVersion")
    starts = q.catalogue.calendars.get("rdsExtendedSupport", {}).get("starts", {}).get(engine)
    if version is UNKNOWN and starts:
        # A cluster instance takes its version from the cluster, known only after the update: price
        # the standard rate rather than nothing, and say what was not judged.
        q.note("Extended Support not judged: engineVersion not known until the update")
        return
    if not isinstance(version, str) or not starts:
        return
    parts = version.split(".")
    major = parts[0] if "postgres" in engine else ".".join(parts[:2])
    dates = starts.get(major)
    # As for EKS: the phase is judged as of the day of the estimate (FINOPS_TODAY, else today in UTC),
    # not the region's catalogue date, so it is the same in every region.
    today = estimate_day()
    if not dates or dt.date.fromisoformat(dates[0]) > today:
        return
    year3 = dates[1] is not None and dt.date.fromisoformat(dates[1]) <= today
    found = catalogue.lookup(cls)
    if found is None:
        raise Unpriced(f"Extended Support of {engine} {major}: vCPUs of {cls} not in the instance catalogue")
    key = "extended_support_yr3_per_vcpu_hour" if year3 else "extended_support_yr1_2_per_vcpu_hour"
    label = f"Extended Support {engine} {major} ({'year 3' if year3 else 'years 1-2'}, {found.vcpus} vCPU)"
    q.fixed(label + (f" x {copies:g}" if copies != 1 else ""), found.vcpus * copies * q.hours, "vCPU-hours",
            "rdsOther", key, "Extended Support")


CLUSTER = "aws:rds/cluster:Cluster"


@model("rds-cluster-instance")
def rds_cluster_instance(q: Quote) -> None:
    engine = AURORA.get(q.text("engine", "aurora-postgresql").lower())
    if engine is None:
        raise Unpriced(f"engine={q.text('engine')}: cluster instances are priced for Aurora engines")
    cls = q.known("instanceClass")
    io_optimized = ""
    cluster = q.related_inputs(CLUSTER, "clusterIdentifier")
    if cluster is not None and cluster[0].value(cluster[1], "storageType") == "aurora-iopt1":
        io_optimized = "/io-optimized"
    if cls == "db.serverless":
        key = "serverless_v2_io_optimized_acu_hour" if io_optimized else "serverless_v2_acu_hour"
        q.usage("Aurora Serverless v2 capacity", "monthlyAcuHours", "ACU-hours", "aurora", key)
        return
    q.hourly(f"{engine} {cls}{' I/O-Optimized' if io_optimized else ''}", 1, "rds", f"{engine}/{cls}{io_optimized}",
             f"{engine} class")
    extended_support(q, engine, str(cls), 1)


@model("instances")
def instances(q: Quote) -> None:
    """``count`` x an hourly price of ``table`` keyed by the ``type`` role (``prefix`` role + "/" first)."""
    type_name = q.known(str(q.params.get("type", "instanceClass")))
    if type_name is None:
        raise Unpriced(f"{q._where(str(q.params.get('type', 'instanceClass')))} not set", "bad-value")
    count_role = q.params.get("count")
    count = q.number(str(count_role), float(q.params.get("default", 1))) if count_role else 1.0
    key = str(type_name)
    if "prefix" in q.params:
        key = f"{q.text(str(q.params['prefix']), str(q.params.get('prefixDefault', ''))).lower()}/{type_name}"
    label = str(q.params.get("label", "instance"))
    q.hourly(f"{label} {type_name}" + (f" x {count:g}" if count != 1 else ""), count, str(q.params["table"]), key,
             f"{label} type")


def _cache_table(q: Quote) -> str:
    return "elasticacheValkey" if q.text("engine", "redis").lower() == "valkey" else "elasticache"


@model("elasticache-cluster")
def elasticache_cluster(q: Quote) -> None:
    if q.known("nodeType") is None and q.known("replicationGroupId") is not None:
        q.note("a member of a replication group, which is priced")
        return
    nodes = q.number("numCacheNodes", 1)
    q.hourly(f"{q.known('nodeType')} x {nodes:g}", nodes, _cache_table(q), q.known("nodeType"), "node type")


@model("elasticache-replication-group")
def elasticache_replication_group(q: Quote) -> None:
    if q.known("numCacheClusters") is not None:
        nodes = q.number("numCacheClusters", 1)
    else:
        nodes = q.number("numNodeGroups", 1) * (q.number("replicasPerNodeGroup", 0) + 1)
    q.hourly(f"{q.known('nodeType')} x {nodes:g}", nodes, _cache_table(q), q.known("nodeType"), "node type")


@model("memorydb-cluster")
def memorydb_cluster(q: Quote) -> None:
    nodes = q.number("numShards", 1) * (q.number("numReplicasPerShard", 1) + 1)
    engine = q.text("engine", "redis").lower()
    node_type = q.known("nodeType")
    q.hourly(f"{engine} {node_type} x {nodes:g}", nodes, "memorydb", f"{engine}/{node_type}", "node type")


@model("dynamodb-table")
def dynamodb_table(q: Quote) -> None:
    if q.text("billingMode", "PROVISIONED") == "PAY_PER_REQUEST":
        q.note("on-demand capacity (usage-priced)")
        return
    wcu, rcu = q.number("writeCapacity", 0), q.number("readCapacity", 0)
    q.hourly(f"write capacity ({wcu:g} WCU)", wcu, "dynamodb", "wcu_hour", "write capacity")
    q.hourly(f"read capacity ({rcu:g} RCU)", rcu, "dynamodb", "rcu_hour", "read capacity")
    for _, region in q.values("replicaRegion"):
        if not isinstance(region, str):
            raise Unpriced("a replica region not known until the update", "unknown-value")
        key = f"replicated_wcu_hour_{region.replace('-', '_')}"
        if not q.has_price("dynamodb", key):
            key = "wcu_hour"
            q.note(f"replica {region}: replicated WCU at the write-capacity price")
        q.hourly(f"replicated write capacity {region} ({wcu:g} rWCU)", wcu, "dynamodb", key, "replicated WCU")


STORAGE_KEYS = {"gp2": "gp2_gb_month", "gp3": "gp3_gb_month", "io1": "io1_gb_month", "standard": "standard_gb_month"}


@model("opensearch-domain")
def opensearch_domain(q: Quote) -> None:
    data = q.number("instanceCount", 1)
    q.hourly(f"data {q.known('instanceType')} x {data:g}", data, "opensearch", q.known("instanceType"), "instance type")
    if q.flag("masterEnabled"):
        masters = q.number("masterCount", 3)
        q.hourly(f"master {q.known('masterType')} x {masters:g}", masters, "opensearch", q.known("masterType"),
                 "master type")
    if q.flag("warmEnabled"):
        warm = q.number("warmCount", 0)
        q.hourly(f"UltraWarm {q.known('warmType')} x {warm:g}", warm, "opensearch", q.known("warmType"), "warm type")
    if not q.flag("ebsEnabled", q.known("volumeSize") is not None):
        return
    # AWS bills the EBS volume of every data node.
    size = q.number("volumeSize", 10)
    kind = q.text("volumeType", "gp2")
    key = STORAGE_KEYS.get(kind, MISSING)
    q.fixed(f"{kind} storage x {data:g} nodes", size * data, "GB-months", "opensearchStorage", key, "volume type")
    iops, mbps = q.number("iops", 0), q.number("throughput", 0)
    if kind == "io1" and iops:
        q.fixed(f"provisioned IOPS x {data:g}", iops * data, "IOPS-months", "opensearchStorage", "io1_iops_month",
                "io1 IOPS")
    if kind == "gp3" and iops > 3000:
        q.fixed(f"IOPS above 3000 x {data:g}", (iops - 3000) * data, "IOPS-months", "opensearchStorage",
                "gp3_iops_month_above_free", "gp3 IOPS")
    if kind == "gp3" and mbps > 125:
        q.fixed(f"throughput above 125 MiB/s x {data:g}", (mbps - 125) * data, "MiB/s-months", "opensearchStorage",
                "gp3_throughput_mbps_month_above_free", "gp3 throughput")
