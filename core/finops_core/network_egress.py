"""A stack's network egress, from the usage file: the gigabytes a month that leave it.

What counts (rules.yaml ``network.maxMonthlyEgressGb`` judges the sum): data transfer out and
NAT processing of NAT gateways, load balancers, CloudFront distributions and EC2 instances, as
their usage-file entries give them (``monthlyDataOutGb``; ``monthlyDataProcessedGb`` where the
resource processes traffic on its way out). Other resources' amounts are not egress.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .usage import UsageFile

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
CLOUDFRONT_DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DATA_OUT = "monthlyDataOutGb"
DATA_PROCESSED = "monthlyDataProcessedGb"

# resource type -> the usage-file keys that are egress for it
EGRESS_KEYS: dict[str, tuple[str, ...]] = {
    NAT_GATEWAY: (DATA_PROCESSED, DATA_OUT),
    "aws:lb/loadBalancer:LoadBalancer": (DATA_PROCESSED, DATA_OUT),
    "aws:alb/loadBalancer:LoadBalancer": (DATA_PROCESSED, DATA_OUT),
    "aws:elb/loadBalancer:LoadBalancer": (DATA_PROCESSED, DATA_OUT),
    CLOUDFRONT_DISTRIBUTION: (DATA_OUT,),
    "aws:ec2/instance:Instance": (DATA_OUT,),
}


@dataclass(frozen=True)
class Egress:
    name: str
    resource_type: str
    gb: float


def egress_of(resources: Iterable[tuple[str, str, str]], usage: UsageFile) -> list[Egress]:
    """Each resource (type, URN, name) with egress in the usage file, largest first."""
    found = []
    for resource_type, urn, name in resources:
        keys = EGRESS_KEYS.get(resource_type)
        if not keys:
            continue
        amounts = usage.for_resource(urn, name).amounts
        gb = sum(amounts.get(k, 0.0) for k in keys)
        if gb:
            found.append(Egress(name, resource_type, gb))
    return sorted(found, key=lambda e: (-e.gb, e.name))
