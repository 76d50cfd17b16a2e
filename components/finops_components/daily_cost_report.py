"""Automated daily cost reports to team leads ("inform" phase of the FinOps framework).

EventBridge Scheduler starts a small Lambda function each morning; it asks Cost Explorer for
yesterday's and the month's spend, grouped by the Team and Service tags, and publishes one
message per team to that team's SNS topic (an existing topic, or one made here with the team's
e-mail subscribers). Permissions are the least that job needs: the function may call
``ce:GetCostAndUsage`` (Cost Explorer has no resource-level permissions), publish to the teams'
topics and write to its own log group; the schedule may invoke that one function. With
``utilization`` (the default) each message also carries the team's utilization KPI and its top
three right-size or idle findings; the function may then also read tags, EC2 and RDS instances
and CloudWatch metric data (read-only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from finops_core import utilization_math
from finops_core.rightsizing import packed_sizes
from finops_core.rules import ConfigError

from .log_group import LogGroup, LogGroupArgs
from .service_trust import account_and_partition, service_trust
from .tagging import current_environment
from .topic_encryption import topic_key

HANDLER_FILE = Path(__file__).resolve().parent / "daily_report_handler" / "handler.py"
RUNTIME = "python3.12"
MEMORY_MB = 128


@dataclass
class DailyCostReportArgs:
    # team -> ARN of the SNS topic its leads read (existing topics) ...
    team_topic_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # ... and/or team -> e-mail addresses: a topic is created per team with these subscribers.
    team_emails: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # EventBridge Scheduler expression and its time zone: 07:00 every day by default.
    schedule: str = "cron(0 7 * * ? *)"
    timezone: str = "UTC"
    # Only spend tagged with the stack's Environment (default), or the whole account's.
    this_environment_only: bool = True
    # Each team's utilization KPI and top three right-size or idle findings in its message, from
    # CloudWatch over the last utilization_days (rules.yaml utilization: target, idlePercent).
    utilization: bool = True
    utilization_days: int = 14
    service: str | None = None      # whose service the report job is charged to (default: enforce()'s)
    feature: str | None = None      # the optional Feature allocation tag


def _statement(actions: list[str], resources: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


class DailyCostReport(pulumi.ComponentResource):
    function: aws.lambda_.Function
    schedule: aws.scheduler.Schedule
    topics: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DailyCostReportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        team_rule = env.all_rules.tag_rule("Team")
        teams = sorted(set(args.team_topic_arns) | set(args.team_emails))
        where = f"DailyCostReport '{name}'"
        if not teams:
            raise ConfigError(where, "team_topic_arns", "<no team>", "at least one team with a topic or e-mails")
        for team in teams:
            if not team_rule.accepts(team):
                raise ConfigError(where, "team", team, "a team of the Team tag: " + team_rule.describe())
        for team, addresses in args.team_emails.items():
            if isinstance(addresses, str) or not addresses or not all("@" in a for a in addresses):
                raise ConfigError(where, f"team_emails.{team}", addresses, "a list of e-mail addresses")
        super().__init__("finops:index:DailyCostReport", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)

        account_id, partition = account_and_partition(self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        # Lambda assumes the role for this function only: its name is the logical name plus the
        # engine's random suffix, so the role (made first) names it by that prefix.
        role = aws.iam.Role(f"{name}-function-role", assume_role_policy=service_trust(
            "lambda.amazonaws.com", account_id,
            pulumi.Output.format("arn:{0}:lambda:{1}:{2}:function:{3}-function-*", partition, region, account_id,
                                 name)), tags=tags, opts=child)
        # The account's databases, the one thing the utilization part reads that IAM scopes by ARN.
        databases = pulumi.Output.format("arn:{0}:rds:{1}:{2}:db:*", partition, region, account_id)
        # The teams' new topics are encrypted with a key the function (its role) may publish with.
        key = (topic_key(f"{name}-topics", self, tags, role_arns=[role.arn]) if set(args.team_emails) -
               set(args.team_topic_arns) else None)
        self.topics = {team: pulumi.Output.from_input(arn) for team, arn in args.team_topic_arns.items()}
        for team, addresses in sorted(args.team_emails.items()):
            if team in self.topics:
                topic_arn = self.topics[team]
            else:
                topic = aws.sns.Topic(f"{name}-{team}", kms_master_key_id=key.arn if key is not None else None,
                                      tags=env.tags_for(service=args.service, team=team, feature=args.feature),
                                      opts=child)
                topic_arn = topic.arn
                self.topics[team] = topic_arn
            for index, address in enumerate(addresses):
                aws.sns.TopicSubscription(f"{name}-{team}-email-{index}", topic=topic_arn, protocol="email",
                                          endpoint=address, opts=child)

        variables: dict[str, pulumi.Input[str]] = {
            "TEAM_TOPICS": pulumi.Output.json_dumps({t: self.topics[t] for t in teams})}
        if args.this_environment_only:
            variables["REPORT_ENVIRONMENT"] = env.name
        files: dict[str, pulumi.Asset | pulumi.Archive] = {"handler.py": pulumi.FileAsset(str(HANDLER_FILE))}
        if args.utilization:
            rules = env.all_rules.utilization
            variables["UTILIZATION"] = json.dumps({"target": rules.target_percent, "idlePercent": rules.idle_percent,
                                                   "days": args.utilization_days})
            region = pulumi.Config("aws").get("region") or "us-east-1"
            files["utilization_math.py"] = pulumi.FileAsset(utilization_math.__file__)
            files["sizes.json"] = pulumi.StringAsset(json.dumps(packed_sizes(region), separators=(",", ":")))
        # The function logs to a group of its own, made first with the environment's retention.
        logs = LogGroup(f"{name}-logs", LogGroupArgs(
            service=args.service or tags["Service"],
            name=f"/finops/{pulumi.get_project()}/{pulumi.get_stack()}/{name}"), opts=child)
        self.function = aws.lambda_.Function(
            f"{name}-function", role=role.arn, runtime=RUNTIME, handler="handler.handler",
            architectures=["arm64"], memory_size=MEMORY_MB, timeout=60,
            code=pulumi.AssetArchive(files),
            environment={"variables": variables},
            logging_config={"log_format": "Text", "log_group": logs.log_group.name}, tags=tags, opts=child)

        def function_policy(values: list[Any]) -> str:
            topics, log_group, databases = values
            return json.dumps({"Version": "2012-10-17", "Statement": [
                _statement(["ce:GetCostAndUsage"], "*"),
                # Read-only: what the utilization part reads; of it, only the databases have
                # resource-level permissions.
                *([_statement(["tag:GetResources", "ec2:DescribeInstances", "cloudwatch:GetMetricData"], "*"),
                   _statement(["rds:DescribeDBInstances"], databases)] if args.utilization else []),
                _statement(["sns:Publish"], sorted(topics)),
                _statement(["logs:CreateLogStream", "logs:PutLogEvents"], f"{log_group}:*")]})

        policy = pulumi.Output.all(list(self.topics.values()), logs.log_group.arn, databases).apply(function_policy)
        aws.iam.RolePolicy(f"{name}-function-policy", role=role.id, policy=policy, opts=child)

        # Its schedule lives in the account's default schedule group.
        scheduler_role = aws.iam.Role(f"{name}-scheduler-role", assume_role_policy=service_trust(
            "scheduler.amazonaws.com", account_id,
            pulumi.Output.format("arn:{0}:scheduler:{1}:{2}:schedule-group/default", partition, region, account_id)),
            tags=tags, opts=child)
        aws.iam.RolePolicy(f"{name}-scheduler-policy", role=scheduler_role.id, policy=self.function.arn.apply(
            lambda arn: json.dumps({"Version": "2012-10-17",
                                    "Statement": [_statement(["lambda:InvokeFunction"], arn)]})), opts=child)
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule", schedule_expression=args.schedule, schedule_expression_timezone=args.timezone,
            flexible_time_window={"mode": "OFF"},
            target={"arn": self.function.arn, "role_arn": scheduler_role.arn}, opts=child)
        self.register_outputs({"function_name": self.function.name, "schedule": args.schedule,
                               "teams": teams, "topics": self.topics})
