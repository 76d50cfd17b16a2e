"""A CloudWatch log group that keeps logs no longer than its environment allows."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .caps import CapError, require_at_most
from .tagging import current_environment

# The only values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


@dataclass
class LogGroupArgs:
    service: str
    retention_days: int | None = None  # default: the longest the environment allows
    name: str | None = None            # the log group name, e.g. /aws/eks/platform/ssa


class LogGroup(pulumi.ComponentResource):
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: LogGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        cap = env.rules.log_retention.max_days
        where = f"LogGroup '{name}'"
        retention = args.retention_days
        if retention is None:
            retention = max(d for d in RETENTION_DAYS if d <= cap)
        require_at_most(where, "retention_days", retention, cap, "days", env, "maxDays")
        if retention not in RETENTION_DAYS:
            raise CapError(f"{where}: retention_days: found {retention}; allowed: one of "
                           f"{', '.join(str(d) for d in RETENTION_DAYS if d <= cap)} (CloudWatch's values).")
        super().__init__("finops:index:LogGroup", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            name, name=args.name, retention_in_days=retention, tags=env.tags_for(service=args.service),
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"name": self.log_group.name, "retention_days": retention})
