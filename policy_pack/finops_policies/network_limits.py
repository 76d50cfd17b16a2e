"""Stack policy: network traffic limits per environment (rules.yaml ``network``).

Three limits, each a mandatory ``finops-network-limits`` violation: how many NAT gateways one
stack holds, which CloudFront price classes its distributions use (the provider's default is
``PriceClass_All``: every edge location, the dearest), and how many GB a month leave the stack
(data transfer out and NAT processing of NAT gateways, load balancers, CloudFront and EC2, from
the usage file: ``usageFile`` in this policy's config, or ``$FINOPS_USAGE_FILE``; ``finops
preview --usage-file`` sets it). Without a usage file the egress limit is not judged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from finops_core.network_egress import CLOUDFRONT_DISTRIBUTION, NAT_GATEWAY, egress_of
from finops_core.rules import Rules
from finops_core.rules.schema import NetworkRules
from finops_core.usage import load_usage_file
from finops_core.values import UNKNOWN, get
from pulumi_policy import PolicyConfigSchema, StackValidationArgs

from .config_schema import per_environment
from .messages import AtResource, Unknown, violation
from .policy import Finding, environment_section_patch
from .policy_specs import StackPolicySpec
from .subject import stack_environment

NAME = "finops-network-limits"
USAGE_FILE_VARIABLE = "FINOPS_USAGE_FILE"
DEFAULT_PRICE_CLASS = "PriceClass_All"   # what AWS and the provider use when priceClass is not set


def _nat_gateways(args: StackValidationArgs, env_name: str, limit: int) -> Iterator[Finding]:
    gateways = [r for r in args.resources if r.resource_type == NAT_GATEWAY]
    if limit and len(gateways) > limit:
        names = ", ".join(r.name for r in gateways)
        yield violation("stack", f"{env_name} NAT gateways",
                        f"{len(gateways)} NAT gateways ({names})", f"at most {limit} in {env_name}",
                        "share one NAT gateway across the availability zones (natGateways strategy "
                        "'Single' in awsx, or KubernetesCluster's default outside prod), or use VPC "
                        "endpoints for AWS services.")


def _price_classes(args: StackValidationArgs, env_name: str, allowed: tuple[str, ...]) -> Iterator[Finding]:
    if not allowed:
        return
    for r in args.resources:
        if r.resource_type != CLOUDFRONT_DISTRIBUTION:
            continue
        value = get(r.props, "priceClass")
        if value is UNKNOWN:
            yield Unknown(f"{r.name}.priceClass")
            continue
        price_class = value if isinstance(value, str) else DEFAULT_PRICE_CLASS
        if price_class in allowed:
            continue
        found = price_class if isinstance(value, str) else f"no priceClass (AWS's default {DEFAULT_PRICE_CLASS})"
        yield AtResource(violation(
            f"{CLOUDFRONT_DISTRIBUTION} '{r.name}'", f"CloudFront price class in {env_name}", found,
            " or ".join(allowed),
            f"set priceClass=\"{allowed[0]}\" (edge locations in fewer regions, the cheaper per GB)."), r.urn)


def _usage_file(config: Mapping[str, Any]) -> str | None:
    path = config.get("usageFile") or os.environ.get(USAGE_FILE_VARIABLE)
    return str(path) if path else None


def _egress(args: StackValidationArgs, env_name: str, limit: float, config: Mapping[str, Any]) -> Iterator[Finding]:
    path = _usage_file(config)
    if not limit or path is None:
        return
    usage = load_usage_file(path)   # a malformed file is a ConfigError: one line, the preview fails
    found = egress_of(((r.resource_type, r.urn, r.name) for r in args.resources), usage)
    total = sum(e.gb for e in found)
    if total <= limit:
        return
    biggest = ", ".join(f"{e.name} {e.gb:,.0f} GB" for e in found[:3])
    yield violation("stack", f"{env_name} monthly egress", f"{total:,.0f} GB a month of data transfer out and NAT "
                    f"processing in {path} ({biggest})", f"at most {limit:,.0f} GB a month in {env_name}",
                    "keep traffic inside the VPC (VPC endpoints for S3 and other AWS services avoid NAT "
                    "processing), cache behind CloudFront, or run the load in an environment that allows it.")


def _check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    env = stack_environment(args, rules)
    if env is None:
        return
    limits: NetworkRules = env.network
    config: Mapping[str, Any] = args.get_config() or {}
    yield from _nat_gateways(args, env.name, limits.max_nat_gateways)
    yield from _price_classes(args, env.name, limits.cloud_front_price_classes)
    yield from _egress(args, env.name, limits.max_monthly_egress_gb, config)


SPECS = [StackPolicySpec(
    NAME, "A stack stays within its environment's network limits: NAT gateways, CloudFront price classes and "
          "monthly egress (from the usage file).",
    _check, config_schema=PolicyConfigSchema(properties={
        "environments": per_environment(NetworkRules, "network"),
        "usageFile": {"type": "string", "description": "the usage file whose data transfer out and NAT processing "
                                                        "GB the egress limit judges (default $FINOPS_USAGE_FILE)"}}),
    patch=environment_section_patch("network"), tags=("finops", "cost", "network"),
    remediation_steps="Share one NAT gateway per stack (or use VPC endpoints), choose an allowed CloudFront price "
                      "class, or reduce the egress the usage file gives, until the stack is within the "
                      "environment's network limits (network: in rules.yaml).")]
