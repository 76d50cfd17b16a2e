"""ElastiCache Redis sized to the environment, replicated where the environment asks for it."""

from __future__ import annotations

import hashlib
import re
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
    engine_version: str = "7.1"      # 7.0 or later: IAM authentication of the cache's user
    # Default: a security group of its own, open on the Redis port to client_security_group_ids
    # (else to the VPC's CIDR). Given: these groups instead, managed by you.
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    feature: str | None = None       # the optional Feature allocation tag


class Cache(pulumi.ComponentResource):
    """ElastiCache Redis sized to the environment, replicated where the environment asks for it.

    Creates a cache subnet group, a security group of its own (port 6379 from
    ``client_security_group_ids``, else from the VPC's CIDR), an RBAC user group (the ``default``
    user switched off, and one user, ``user_id``, that authenticates with IAM: no password to
    store or rotate; clients need ``elasticache:Connect`` on the group and the user) and an
    ``aws.elasticache.ReplicationGroup`` encrypted at rest and in transit, with automatic
    failover and Multi-AZ when it has 2 or more nodes.

    Caps (rules.yaml ``cache``; policy ``finops-cache-size``): the node type's vCPUs and
    memory (dev at most 2 vCPU, 8 GiB). A larger type raises :class:`CapError` before anything
    is created, unless waivers.yaml approves it for this stack and name.

    Example::

        finops.enforce()
        finops.Cache("sessions", finops.CacheArgs(subnet_ids=subnet_ids, service="ssa"))
    """

    replication_group: aws.elasticache.ReplicationGroup
    user_id: str
    security_group: aws.ec2.SecurityGroup | None = None

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
        security_groups = args.security_group_ids
        if security_groups is None:
            self.security_group = self._security_group(name, args, tags)
            security_groups = [self.security_group.id]
        self.user_id = rbac_id(f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}")
        # A user group needs a user named "default": here it can do nothing ("off").
        default_user = aws.elasticache.User(
            f"{name}-default-user", user_id=rbac_id(f"{self.user_id}-default"), user_name="default", engine="redis",
            access_string="off -@all", authentication_mode={"type": "no-password-required"}, tags=tags, opts=child)
        app_user = aws.elasticache.User(
            f"{name}-user", user_id=self.user_id, user_name=self.user_id, engine="redis",
            access_string="on ~* +@all -@dangerous", authentication_mode={"type": "iam"}, tags=tags, opts=child)
        users = aws.elasticache.UserGroup(f"{name}-users", user_group_id=rbac_id(f"{self.user_id}-users"),
                                          engine="redis", user_ids=[default_user.user_id, app_user.user_id],
                                          tags=tags, opts=child)
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
            security_group_ids=security_groups,
            user_group_ids=[users.user_group_id],
            snapshot_retention_limit=defaults.backup_retention_days,
            tags=tags,
            opts=child,
        )
        self.register_outputs({"primary_endpoint": self.replication_group.primary_endpoint_address,
                               "user_id": self.user_id})

    def _security_group(self, name: str, args: CacheArgs, tags: dict[str, str]) -> aws.ec2.SecurityGroup:
        """A group of its own, so the cache is not in the VPC's default group with everything else."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        first_subnet = pulumi.Output.from_input(args.subnet_ids).apply(lambda ids: ids[0])
        vpc_id = aws.ec2.get_subnet_output(id=first_subnet, opts=invoke).vpc_id
        source: dict[str, object] = ({"security_groups": list(args.client_security_group_ids)}
                                     if args.client_security_group_ids else
                                     {"cidr_blocks": [aws.ec2.get_vpc_output(id=vpc_id, opts=invoke).cidr_block]})
        return aws.ec2.SecurityGroup(
            f"{name}-sg", description=f"{args.service} cache clients", vpc_id=vpc_id,
            ingress=[{"protocol": "tcp", "from_port": REDIS_PORT, "to_port": REDIS_PORT,
                      "description": "Redis over TLS from the cache's clients", **source}],
            tags=tags, opts=pulumi.ResourceOptions(parent=self))


REDIS_PORT = 6379


def rbac_id(text: str) -> str:
    """An ElastiCache user or user-group ID: a letter first, letters, digits and single hyphens,
    at most 40 characters (shortened with a hash past that)."""
    cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")
    if not cleaned[:1].isalpha():
        cleaned = "c-" + cleaned
    if len(cleaned) > 40:
        cleaned = cleaned[:31].rstrip("-") + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return cleaned
