"""CloudWatch alarms that say, the day it happens, when NAT egress runs past its monthly limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .tagging import current_environment

GB = 1_000_000_000                  # CloudWatch counts bytes; the limit is in GB (10^9 bytes)
DAYS_PER_MONTH = 730 / 24           # the estimate's month: 730 hours


@dataclass
class NetworkTrafficAlarmsArgs:
    """Arguments of :class:`NetworkTrafficAlarms`.

    ``nat_gateway_ids``: the NAT gateways to watch (one alarm each); ``topic_arn``: where the
    alarms go, normally the budget's SNS topic (``BudgetAlerts.topic.arn``);
    ``max_monthly_egress_gb``: the monthly limit, by default rules.yaml ``network.maxMonthlyEgressGb``
    of the environment (0: no limit, and then no alarm); ``service`` sets the Service tag.

    Example: ``finops.NetworkTrafficAlarmsArgs(nat_gateway_ids=[nat.id], topic_arn=budgets.topic.arn)``
    """

    nat_gateway_ids: Sequence[pulumi.Input[str]]
    topic_arn: pulumi.Input[str]
    max_monthly_egress_gb: float | None = None
    service: str | None = None


class NetworkTrafficAlarms(pulumi.ComponentResource):
    """One CloudWatch alarm per NAT gateway on ``BytesOutToDestination`` (AWS/NATGateway, the
    bytes it sends out), summed per day: it fires when a day passes that day's share of the
    monthly egress limit (the limit / 30.4 days, split evenly across the gateways) and notifies
    ``topic_arn``.

    The same limit judges the usage file at preview (policy ``finops-network-limits``); these
    alarms watch what is really sent. Where the environment has no limit (prod by default) and
    none is given, nothing is created.

    Example::

        budgets = finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(service="audit"))
        finops.NetworkTrafficAlarms("egress", finops.NetworkTrafficAlarmsArgs(
            nat_gateway_ids=[g.id for g in cluster.nat_gateways], topic_arn=budgets.topic.arn))
    """

    alarms: list[aws.cloudwatch.MetricAlarm]
    daily_bytes_per_gateway: float

    def __init__(self, name: str, args: NetworkTrafficAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        limit = args.max_monthly_egress_gb
        if limit is None:
            limit = env.rules.network.max_monthly_egress_gb
        if limit < 0:
            raise ValueError(f"NetworkTrafficAlarms '{name}': max_monthly_egress_gb: found {limit:g}; expected a "
                             "number of GB >= 0 (0: no limit)")
        super().__init__("finops:index:NetworkTrafficAlarms", name, None, opts)
        gateways = list(args.nat_gateway_ids)
        self.daily_bytes_per_gateway = round(limit * GB / DAYS_PER_MONTH / len(gateways)) if limit and gateways else 0
        self.alarms = []
        tags = env.tags_for(service=args.service) if args.service else None
        for index, gateway in enumerate(gateways if limit else []):
            self.alarms.append(aws.cloudwatch.MetricAlarm(
                f"{name}-nat-{index}",
                alarm_description=(f"NAT gateway egress past its daily share of {env.name}'s monthly limit of "
                                   f"{limit:,.0f} GB (rules.yaml network.maxMonthlyEgressGb)"),
                namespace="AWS/NATGateway", metric_name="BytesOutToDestination",
                dimensions={"NatGatewayId": gateway}, statistic="Sum", period=86400, evaluation_periods=1,
                threshold=self.daily_bytes_per_gateway, comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching", alarm_actions=[args.topic_arn], tags=tags,
                opts=pulumi.ResourceOptions(parent=self)))
        self.register_outputs({"alarms": [a.arn for a in self.alarms], "monthly_limit_gb": limit,
                               "daily_bytes_per_gateway": self.daily_bytes_per_gateway})
