"""A CloudWatch log group that keeps logs no longer than its environment allows."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from finops_core.cap_policies import CAP_POLICY

from .caps import CapError, Target, require_at_most
from .locations import code_location
from .tagging import current_environment

# The only values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


@dataclass
class LogGroupArgs:
    """Arguments of :class:`LogGroup`.

    ``service`` (required) sets the Service tag (and, through rules.yaml ``serviceOwners``,
    the Team); ``retention_days`` defaults to the longest the environment allows and must be
    one of CloudWatch's values; ``name`` is the log group's name; ``feature`` the optional
    Feature allocation tag.

    Example: ``finops.LogGroupArgs(service="ui", retention_days=7)``
    """

    service: str
    retention_days: int | None = None  # default: the longest the environment allows
    name: str | None = None            # the log group name, e.g. /aws/eks/platform/ssa
    feature: str | None = None         # the optional Feature allocation tag


class LogGroup(pulumi.ComponentResource):
    """A CloudWatch log group that keeps logs no longer than its environment allows.

    Creates an ``aws.cloudwatch.LogGroup`` with the environment's longest allowed retention
    (or ``retention_days``), tagged for cost allocation.

    Caps (rules.yaml ``logRetention.maxDays``; policy ``finops-log-retention``): dev 14 days,
    staging 30, prod 365 by default. A longer ``retention_days`` raises :class:`CapError`
    before anything is created, unless waivers.yaml approves it for this stack and name.

    Example::

        finops.enforce(service="ui", team="frontend")
        logs = finops.LogGroup("api-logs", finops.LogGroupArgs(service="ui"))
        pulumi.export("log_group", logs.log_group.name)
    """

    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: LogGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        cap = env.rules.log_retention.max_days
        where = Target(f"LogGroup '{name}'", "aws:cloudwatch/logGroup:LogGroup", name)
        retention = args.retention_days
        if retention is None:
            retention = max(d for d in RETENTION_DAYS if d <= cap)
        require_at_most(where, CAP_POLICY["logRetention"], "retention_days", retention, cap, "days", env,
                        ("logRetention", "maxDays"))
        if retention not in RETENTION_DAYS:
            allowed = [d for d in RETENTION_DAYS if d <= max(cap, retention)]
            raise CapError(f"{code_location()}: {where.component}: retention_days: found {retention}; allowed: one of "
                           f"{', '.join(str(d) for d in allowed)} (CloudWatch's values).")
        super().__init__("finops:index:LogGroup", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            name, name=args.name, retention_in_days=retention,
            tags=env.tags_for(service=args.service, feature=args.feature),
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"name": self.log_group.name, "retention_days": retention})
