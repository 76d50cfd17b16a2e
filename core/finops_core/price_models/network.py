"""Networking priced per hour: load balancers by type and VPC endpoints by type and subnets."""

from __future__ import annotations

from ..quote import Quote, Unpriced, model
from .fixed import choose_usage_lines

LOAD_BALANCERS = {"application": "applicationLoadBalancer", "network": "networkLoadBalancer",
                  "gateway": "gatewayLoadBalancer"}


@model("load-balancer")
def load_balancer(q: Quote) -> None:
    kind = q.text("loadBalancerType", "application")
    key = LOAD_BALANCERS.get(kind)
    if key is None:
        raise Unpriced(f"loadBalancerType={kind!r}: one of {', '.join(LOAD_BALANCERS)} is priced", "bad-value")
    q.hourly(f"{kind} load balancer", 1, "hourly", key, f"{kind} load balancer")
    # Capacity units are billed per type: LCU (application), NLCU (network), GLCU (gateway).
    choose_usage_lines(q)


@model("vpc-endpoint")
def vpc_endpoint(q: Quote) -> None:
    kind = q.text("endpointType", "Gateway")   # the provider's default type
    if kind == "Gateway":
        q.note("gateway endpoint (S3, DynamoDB): no charge")
        return
    if kind == "GatewayLoadBalancer":
        q.hourly("Gateway Load Balancer endpoint", 1, "hourly", "vpcGatewayLoadBalancerEndpoint", "GWLB endpoint")
        return
    # Interface (and Resource/ServiceNetwork) endpoints: one network interface per subnet (AZ).
    zones = max(q.count("subnetIds"), 1)
    q.hourly(f"interface endpoint x {zones} AZ", zones, "hourly", "vpcInterfaceEndpointPerAz", "interface endpoint")
