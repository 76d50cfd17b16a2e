"""A VPC for a cluster: public and private subnets per zone, with no more NAT gateways than the
environment allows (rules.yaml ``network.maxNatGateways``: dev 1, staging 3, prod no limit)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .caps import CapError, Target, require_at_most
from .environment import Environment
from .locations import code_location

NAT_GATEWAY_TYPE = "aws:ec2/natGateway:NatGateway"


@dataclass
class ClusterNetworkArgs:
    """Arguments of the network :class:`KubernetesCluster` builds when given one.

    ``availability_zones`` (default: the region's a, b and c; at least two, as EKS asks);
    ``cidr_block`` of the VPC, split into a public and a private /20 (or smaller) per zone;
    ``nat_gateways``: how many NAT gateways the private subnets share (default: one per zone,
    at most the environment's ``network.maxNatGateways``, so one in dev).

    Example: ``finops.ClusterNetworkArgs(availability_zones=["eu-west-1a", "eu-west-1b"])``
    """

    availability_zones: Sequence[str] | None = None
    cidr_block: str = "10.0.0.0/16"
    nat_gateways: int | None = None


def nat_gateway_count(owner: str, args: ClusterNetworkArgs, zones: int, env: Environment) -> int:
    """NAT gateways to create: the asked number, else one per zone, within the environment's limit."""
    limit = env.rules.network.max_nat_gateways
    if args.nat_gateways is None:
        return min(zones, limit) if limit else zones
    if not 1 <= args.nat_gateways <= zones:
        raise CapError(f"{code_location()}: {owner}: nat_gateways: found {args.nat_gateways}; allowed: 1 to {zones} "
                       "(one per availability zone at most).")
    if limit:
        require_at_most(Target(owner, NAT_GATEWAY_TYPE, owner), "finops-network-limits", "nat_gateways",
                        args.nat_gateways, limit, "NAT gateways", env, ("network", "maxNatGateways"))
    return args.nat_gateways


@dataclass(frozen=True)
class NetworkPlan:
    zones: list[str]
    cidr_block: str
    blocks: list[str]          # /20 blocks: public, private, public, private ... by zone
    nat_gateways: int


def plan_network(owner: str, args: ClusterNetworkArgs, env: Environment) -> NetworkPlan:
    """The zones, subnet blocks and NAT gateway count, checked before anything is created."""
    region = pulumi.Config("aws").get("region") or "us-east-1"
    zones = list(args.availability_zones or [f"{region}{letter}" for letter in "abc"])
    if len(zones) < 2:
        raise CapError(f"{code_location()}: {owner}: availability_zones: found {zones}; allowed: two or more "
                       "(EKS needs subnets in two zones).")
    try:
        blocks = [str(b) for b in ipaddress.ip_network(args.cidr_block).subnets(new_prefix=20)]
    except ValueError:
        raise CapError(f"{code_location()}: {owner}: cidr_block: found {args.cidr_block!r}; allowed: an IPv4 "
                       "block of /16 to /20, e.g. 10.0.0.0/16.") from None
    if len(blocks) < 2 * len(zones):
        raise CapError(f"{code_location()}: {owner}: cidr_block: found {args.cidr_block!r}; allowed: room for "
                       f"{2 * len(zones)} /20 subnets (a /16 to /19 block).")
    return NetworkPlan(zones, args.cidr_block, blocks, nat_gateway_count(owner, args, len(zones), env))


class ClusterNetwork(pulumi.ComponentResource):
    """A VPC, an internet gateway, a public and a private subnet per zone, NAT gateways (each
    with an Elastic IP) in the first public subnets, and routes: private subnets reach the
    internet through the NAT gateways, shared round-robin when there are fewer than zones.

    Built by :class:`KubernetesCluster` when its ``network`` argument is given; its private
    subnets hold the cluster's nodes."""

    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]

    def __init__(self, name: str, plan: NetworkPlan, tags: dict[str, str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        zones, blocks, count = plan.zones, plan.blocks, plan.nat_gateways
        super().__init__("finops:index:ClusterNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=plan.cidr_block, enable_dns_hostnames=True,
                               enable_dns_support=True, tags=tags, opts=child)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags, opts=child)
        public_routes = aws.ec2.RouteTable(f"{name}-public", vpc_id=self.vpc.id, tags=tags, routes=[
            {"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}], opts=child)
        self.public_subnets, self.private_subnets, self.nat_gateways = [], [], []
        for index, zone in enumerate(zones):
            public = aws.ec2.Subnet(f"{name}-public-{zone}", vpc_id=self.vpc.id, availability_zone=zone,
                                    cidr_block=blocks[2 * index], map_public_ip_on_launch=True,
                                    tags={**tags, "kubernetes.io/role/elb": "1"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-public-{zone}", subnet_id=public.id,
                                          route_table_id=public_routes.id, opts=child)
            self.public_subnets.append(public)
            if index < count:
                address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags, opts=child)
                self.nat_gateways.append(aws.ec2.NatGateway(f"{name}-nat-{zone}", allocation_id=address.id,
                                                            subnet_id=public.id, tags=tags, opts=child))
        for index, zone in enumerate(zones):
            private = aws.ec2.Subnet(f"{name}-private-{zone}", vpc_id=self.vpc.id, availability_zone=zone,
                                     cidr_block=blocks[2 * index + 1],
                                     tags={**tags, "kubernetes.io/role/internal-elb": "1"}, opts=child)
            routes = aws.ec2.RouteTable(f"{name}-private-{zone}", vpc_id=self.vpc.id, tags=tags, routes=[
                {"cidr_block": "0.0.0.0/0", "nat_gateway_id": self.nat_gateways[index % count].id}], opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{zone}", subnet_id=private.id, route_table_id=routes.id,
                                          opts=child)
            self.private_subnets.append(private)
        self.register_outputs({"vpc_id": self.vpc.id, "private_subnet_ids": [s.id for s in self.private_subnets],
                               "nat_gateway_ids": [g.id for g in self.nat_gateways]})
