"""Dev resources that switch themselves off at night, with EventBridge Scheduler alone.

Schedules call the AWS APIs directly through Scheduler's universal targets
(``arn:aws:scheduler:::aws-sdk:<service>:<action>``): no Lambda to build, patch or pay for.
Where the environment's ``autoShutdown`` is disabled (staging, prod), nothing is created.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .service_trust import account_and_partition, service_trust
from .tagging import current_environment


@dataclass
class NodeGroupSchedule:
    """A managed node group to scale to zero at night and back up in the morning."""

    cluster_name: pulumi.Input[str]
    node_group_name: pulumi.Input[str]
    desired_size: int
    max_size: int
    min_size: int = 0


@dataclass
class AutoShutdownArgs:
    """What :class:`AutoShutdown` switches off at night: EC2 ``instance_ids``, RDS
    ``db_instance_identifiers`` and EKS ``node_groups`` (:class:`NodeGroupSchedule`); the
    ``service`` tag of what it creates (default: the program's, from ``finops.enforce()``), and
    the optional ``feature`` allocation tag.

    Example: ``finops.AutoShutdownArgs(db_instance_identifiers=[db.instance.identifier])``
    """

    instance_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    db_instance_identifiers: Sequence[pulumi.Input[str]] = field(default_factory=list)
    node_groups: Sequence[NodeGroupSchedule] = field(default_factory=list)
    service: str | None = None  # default: the program's Service (and Team), from enforce()
    feature: str | None = None


def shutdown_policy(environment: str, partition: pulumi.Input[str], region: pulumi.Input[str],
                    account_id: pulumi.Input[str], args: AutoShutdownArgs) -> pulumi.Output[str]:
    """Start and stop this environment's instances and DB instances (by their Environment tag),
    and set the scaling of the named node groups: nothing else in the account."""
    groups = [pulumi.Output.format("{0}/{1}", g.cluster_name, g.node_group_name) for g in args.node_groups]

    def build(values: list[Any]) -> str:
        part, reg, account, names = values
        mine = {"StringEquals": {"aws:ResourceTag/Environment": environment}}
        statements: list[dict[str, Any]] = [
            {"Sid": "StartStopThisEnvironmentsInstances", "Effect": "Allow",
             "Action": ["ec2:StopInstances", "ec2:StartInstances"],
             "Resource": f"arn:{part}:ec2:{reg}:{account}:instance/*", "Condition": mine},
            {"Sid": "StartStopThisEnvironmentsDatabases", "Effect": "Allow",
             "Action": ["rds:StopDBInstance", "rds:StartDBInstance"],
             "Resource": f"arn:{part}:rds:{reg}:{account}:db:*", "Condition": mine}]
        if names:
            statements.append({"Sid": "ScaleTheNamedNodeGroups", "Effect": "Allow",
                               "Action": "eks:UpdateNodegroupConfig",
                               "Resource": [f"arn:{part}:eks:{reg}:{account}:nodegroup/{n}/*" for n in names]})
        return json.dumps({"Version": "2012-10-17", "Statement": statements})
    return pulumi.Output.all(partition, region, account_id, groups).apply(build)


def _target(action: str) -> str:
    return f"arn:aws:scheduler:::aws-sdk:{action}"


class AutoShutdown(pulumi.ComponentResource):
    """Dev resources that switch themselves off at night, with EventBridge Scheduler alone.

    Creates, where the environment's ``autoShutdown`` is enabled (dev by default), an IAM role
    for the scheduler, a schedule group and, per target, a stop and a start schedule in the
    environment's window (20:00 and 07:00 on weekdays by default, its timezone) calling the
    AWS APIs directly through Scheduler's universal targets: no Lambda. Elsewhere it creates
    nothing (``enabled`` is False). No cap applies (policy ``finops-advice-dev-auto-shutdown``
    advises it).

    Example::

        finops.enforce()
        finops.AutoShutdown("night", finops.AutoShutdownArgs(
            db_instance_identifiers=[db.instance.identifier]))
    """

    enabled: bool
    schedules: list[aws.scheduler.Schedule]

    def __init__(self, name: str, args: AutoShutdownArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        window = env.rules.auto_shutdown
        super().__init__("finops:index:AutoShutdown", name, None, opts)
        self.enabled = window.enabled
        self.schedules = []
        if not window.enabled:
            self.register_outputs({"enabled": False})
            return
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)
        account_id, partition = account_and_partition(self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        group = aws.scheduler.ScheduleGroup(f"{name}-group", tags=tags, opts=child)
        # Scheduler assumes the role for this account's schedule group only.
        role = aws.iam.Role(f"{name}-role", assume_role_policy=service_trust(
            "scheduler.amazonaws.com", account_id,
            pulumi.Output.format("arn:{0}:scheduler:{1}:{2}:schedule-group/{3}", partition, region, account_id,
                                 group.name)), tags=tags, opts=child)
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=shutdown_policy(
            env.name, partition, region, account_id, args), opts=child)
        def schedule(suffix: str, when: str, action: str, payload: Any) -> None:
            self.schedules.append(aws.scheduler.Schedule(
                f"{name}-{suffix}", group_name=group.name, schedule_expression=when,
                schedule_expression_timezone=window.timezone, flexible_time_window={"mode": "OFF"},
                target={"arn": _target(action), "role_arn": role.arn,
                        "input": pulumi.Output.json_dumps(payload)},
                opts=child))

        if args.instance_ids is not None:
            schedule("ec2-stop", window.stop, "ec2:stopInstances", {"InstanceIds": args.instance_ids})
            schedule("ec2-start", window.start, "ec2:startInstances", {"InstanceIds": args.instance_ids})
        for index, identifier in enumerate(args.db_instance_identifiers):
            schedule(f"rds-{index}-stop", window.stop, "rds:stopDBInstance", {"DbInstanceIdentifier": identifier})
            schedule(f"rds-{index}-start", window.start, "rds:startDBInstance", {"DbInstanceIdentifier": identifier})
        for index, nodes in enumerate(args.node_groups):
            base = {"ClusterName": nodes.cluster_name, "NodegroupName": nodes.node_group_name}
            # EKS requires maxSize >= 1 even when scaled to zero.
            schedule(f"nodes-{index}-stop", window.stop, "eks:updateNodegroupConfig",
                     {**base, "ScalingConfig": {"MinSize": 0, "DesiredSize": 0, "MaxSize": nodes.max_size}})
            schedule(f"nodes-{index}-start", window.start, "eks:updateNodegroupConfig",
                     {**base, "ScalingConfig": {"MinSize": nodes.min_size, "DesiredSize": nodes.desired_size,
                                                "MaxSize": nodes.max_size}})
        self.register_outputs({"enabled": True, "stop": window.stop, "start": window.start,
                               "timezone": window.timezone})
