"""RDS PostgreSQL sized, protected and backed up according to its environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from finops_core.cap_policies import CAP_POLICY

from .caps import Target, require_allowed, require_at_most, require_instance
from .tagging import current_environment


@dataclass
class DatabaseArgs:
    """Arguments of :class:`Database`.

    ``subnet_ids`` and ``service`` are required. Sizes left as None take the environment's
    defaults (rules.yaml ``defaults``): ``instance_class`` (an RDS class such as
    ``db.t4g.micro``), ``allocated_storage_gib``, ``max_allocated_storage_gib`` (storage
    autoscaling ceiling, default the cap) and ``multi_az`` (only in prod). ``feature`` sets the
    optional Feature allocation tag.

    Example: ``finops.DatabaseArgs(subnet_ids=subnets, service="policy-engine")``
    """

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    service: str
    instance_class: str | None = None          # default: the environment's databaseClass
    allocated_storage_gib: int | None = None   # default: the environment's databaseStorageGib
    max_allocated_storage_gib: int | None = None  # storage autoscaling ceiling; default: the cap
    multi_az: bool | None = None               # default: only in prod
    engine_version: str = "16"
    db_name: str = "app"
    username: str = "app_admin"
    vpc_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    feature: str | None = None                 # the optional Feature allocation tag


class Database(pulumi.ComponentResource):
    """RDS PostgreSQL sized, protected and backed up according to its environment.

    Creates a DB subnet group and an ``aws.rds.Instance`` (gp3, encrypted, the master password
    managed in Secrets Manager), with Multi-AZ only in prod, deletion protection and a final
    snapshot where the rules say ``deletionProtection`` (staging and prod), and the environment's
    backup retention (1/7/30 days).

    Caps (rules.yaml ``database``; policy ``finops-database-size``): the class's vCPUs and
    memory (dev at most 2 vCPU, 8 GiB), storage (dev 100 GiB) and Multi-AZ (not in dev).
    Breaking one raises :class:`CapError` before anything is created, unless waivers.yaml
    approves it for this stack and name.

    Example::

        finops.enforce()
        db = finops.Database("policy-store", finops.DatabaseArgs(
            subnet_ids=subnet_ids, service="policy-engine", instance_class="db.t4g.small"))
    """

    instance: aws.rds.Instance

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        caps, defaults = env.rules.database, env.rules.defaults
        where = Target(f"Database '{name}'", "aws:rds/instance:Instance", name)
        policy = CAP_POLICY["database"]
        instance_class = args.instance_class or defaults.database_class
        storage = args.allocated_storage_gib or defaults.database_storage_gib
        max_storage = args.max_allocated_storage_gib or int(caps.max_storage_gib)
        multi_az = defaults.database_multi_az if args.multi_az is None else args.multi_az
        require_instance(where, policy, "instance_class", instance_class, caps, env, "database")
        require_at_most(where, policy, "allocated_storage_gib", storage, caps.max_storage_gib, "GiB", env,
                        ("database", "maxStorageGib"))
        require_at_most(where, policy, "max_allocated_storage_gib", max_storage, caps.max_storage_gib, "GiB", env,
                        ("database", "maxStorageGib"))
        if multi_az:
            require_allowed(where, policy, "multi_az", caps.multi_az, env, ("database", "multiAz"))
        super().__init__("finops:index:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)
        production = defaults.deletion_protection

        subnets = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=args.subnet_ids, tags=tags, opts=child)
        self.instance = aws.rds.Instance(
            name,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=instance_class,
            allocated_storage=storage,
            max_allocated_storage=max(max_storage, storage),
            storage_type="gp3",
            storage_encrypted=True,
            multi_az=multi_az,
            db_name=args.db_name,
            username=args.username,
            manage_master_user_password=True,  # the password lives in Secrets Manager, not in config
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=args.vpc_security_group_ids,
            backup_retention_period=defaults.backup_retention_days,
            deletion_protection=production,
            skip_final_snapshot=not production,
            final_snapshot_identifier=f"{name}-final" if production else None,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            tags=tags,
            opts=child,
        )
        self.register_outputs({"endpoint": self.instance.endpoint, "identifier": self.instance.identifier})
