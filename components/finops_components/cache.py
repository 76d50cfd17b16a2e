"""ElastiCache Redis sized to the environment, replicated where the environment asks for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from finops_core.cap_policies import CAP_POLICY

from .caps import Target, require_instance
from .tagging import current_environment


@dataclass
class CacheArgs:
    """Arguments of :class:`Cache`.

    ``subnet_ids`` and ``service`` are required; ``node_type`` (e.g. ``cache.t4g.micro``) and
    ``nodes`` (2 or more: replicated with automatic failover) default to the environment's
    ``cacheNodeType``/``cacheNodes``; ``feature`` sets the optional Feature allocation tag.

    Example: ``finops.CacheArgs(subnet_ids=subnets, service="ssa")``
    """

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    service: str
    node_type: str | None = None     # default: the environment's cacheNodeType
    nodes: int | None = None         # default: the environment's cacheNodes (2+ = failover)
    engine_version: str = "7.1"
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    feature: str | None = None       # the optional Feature allocation tag


class Cache(pulumi.ComponentResource):
    """ElastiCache Redis sized to the environment, replicated where the environment asks for it.

    Creates a cache subnet group and an ``aws.elasticache.ReplicationGroup`` encrypted at rest
    and in transit, with automatic failover and Multi-AZ when it has 2 or more nodes.

    Caps (rules.yaml ``cache``; policy ``finops-cache-size``): the node type's vCPUs and
    memory (dev at most 2 vCPU, 8 GiB). A larger type raises :class:`CapError` before anything
    is created, unless waivers.yaml approves it for this stack and name.

    Example::

        finops.enforce()
        finops.Cache("sessions", finops.CacheArgs(subnet_ids=subnet_ids, service="ssa"))
    """

    replication_group: aws.elasticache.ReplicationGroup

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        defaults = env.rules.defaults
        node_type = args.node_type or defaults.cache_node_type
        nodes = args.nodes or defaults.cache_nodes
        require_instance(Target(f"Cache '{name}'", "aws:elasticache/replicationGroup:ReplicationGroup", name),
                         CAP_POLICY["cache"], "node_type", node_type, env.rules.cache, env, "cache")
        super().__init__("finops:index:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)
        subnets = aws.elasticache.SubnetGroup(f"{name}-subnets", subnet_ids=args.subnet_ids, tags=tags, opts=child)
        replicated = nodes > 1
        self.replication_group = aws.elasticache.ReplicationGroup(
            name,
            description=f"{args.service} cache ({env.name})",
            engine="redis",
            engine_version=args.engine_version,
            node_type=node_type,
            num_cache_clusters=nodes,
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            subnet_group_name=subnets.name,
            security_group_ids=args.security_group_ids,
            snapshot_retention_limit=defaults.backup_retention_days,
            tags=tags,
            opts=child,
        )
        self.register_outputs({"primary_endpoint": self.replication_group.primary_endpoint_address})
