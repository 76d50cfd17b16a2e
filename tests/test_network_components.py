"""Components follow the network limits: a cluster's own network has no more NAT gateways than
its environment allows, and NetworkTrafficAlarms watches each NAT gateway's egress per day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import finops_components as finops
import pulumi_aws as aws
import pytest
from conftest import named

NAT = "aws:ec2/natGateway:NatGateway"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def _platform(nat_gateways: int | None = None) -> Callable[[], object]:
    def program() -> None:
        finops.enforce(service="ssa")
        cluster = finops.KubernetesCluster("k8s", finops.KubernetesClusterArgs(
            subnet_ids=None, node_groups=[finops.NodeGroupSpec(service="ssa")],
            network=finops.ClusterNetworkArgs(availability_zones=ZONES, nat_gateways=nat_gateways)))
        topic = aws.sns.Topic("budget-alerts")
        finops.NetworkTrafficAlarms("egress", finops.NetworkTrafficAlarmsArgs(
            nat_gateway_ids=[g.id for g in cluster.nat_gateways], topic_arn=topic.arn))

    return program


def _of(resources: list[Any], resource_type: str) -> list[Any]:
    return [r for r in resources if r.type == resource_type]


@pytest.fixture(scope="module")
def platform() -> dict[str, list[Any]]:
    """The program above, run once per environment under the mock engine."""
    from conftest import BASE_CONFIG
    from finops_preview.mock_engine import MockSession

    return {stack: MockSession("ai-agent-security-platform", stack, dict(BASE_CONFIG)).run(_platform())
            for stack in ("dev", "staging", "prod")}


def test_a_dev_cluster_network_shares_one_nat_gateway(platform: dict[str, list[Any]]) -> None:
    resources = platform["dev"]
    [gateway] = _of(resources, NAT)
    assert gateway.inputs["tags"]["Environment"] == "dev"
    private_routes = [r for r in resources if r.type == "aws:ec2/routeTable:RouteTable" and "-private-" in r.name]
    assert len(private_routes) == 3   # every zone's private subnet routes through the one gateway
    cluster = named(resources, "k8s")
    assert len(cluster.inputs["vpcConfig"]["subnetIds"]) == 3


def test_staging_and_prod_get_more_gateways_within_their_limits(platform: dict[str, list[Any]]) -> None:
    assert len(_of(platform["staging"], NAT)) == 3 and len(_of(platform["prod"], NAT)) == 3


def test_asking_for_a_second_nat_gateway_in_dev_is_refused(mock_stack: Callable[..., Any]) -> None:
    with pytest.raises(finops.CapError, match=r"dev network NAT gateways: found nat_gateways=2 NAT gateways; "
                                              r"allowed: at most 1 NAT gateways in dev"):
        mock_stack(_platform(nat_gateways=2))


def test_each_nat_gateway_alarms_on_a_days_share_of_the_monthly_limit(platform: dict[str, list[Any]]) -> None:
    resources = platform["dev"]
    [alarm] = _of(resources, ALARM)
    inputs = alarm.inputs
    assert (inputs["namespace"], inputs["metricName"], inputs["statistic"], inputs["period"]) == (
        "AWS/NATGateway", "BytesOutToDestination", "Sum", 86400)
    # dev: 100 GB a month over 730 / 24 days, one gateway.
    assert inputs["threshold"] == pytest.approx(100e9 * 24 / 730, rel=1e-6)
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert len(inputs["alarmActions"]) == 1 and "budget-alerts" in inputs["alarmActions"][0]   # the topic's ARN
    assert inputs["dimensions"]["NatGatewayId"]
    staging = _of(platform["staging"], ALARM)
    assert len(staging) == 3 and staging[0].inputs["threshold"] == pytest.approx(2000e9 * 24 / 730 / 3, rel=1e-6)
    assert _of(platform["prod"], ALARM) == []   # prod: no egress limit, no alarm
