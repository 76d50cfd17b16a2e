"""Stack policy: resource provisioning limits per environment (rules.yaml ``provisioning``): how
many instances, node-group nodes, databases and GPUs one stack may hold in all.

What each kind adds is data in the table of resource kinds (``counts``: a node group adds its
maximum size in nodes); GPUs are what the catalogue says each instance or node type carries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from finops_core import catalogue
from finops_core.cap_policies import CAP_POLICY
from finops_core.kinds import kind_of
from finops_core.rules import Rules
from finops_core.rules.schema import ProvisioningCap
from finops_core.values import UNKNOWN, number
from pulumi_policy import PolicyConfigSchema, StackValidationArgs

from .config_schema import per_environment
from .messages import Unknown, violation
from .policy import Finding, environment_section_patch
from .policy_specs import StackPolicySpec
from .subject import stack_environment

NAME = CAP_POLICY["provisioning"]
# count -> (cap attribute, what it is called in messages)
LIMITS = {"instances": ("max_instances", "instances"), "nodes": ("max_nodes", "node-group nodes (maximum sizes)"),
          "databases": ("max_databases", "databases"), "gpus": ("max_gpus", "GPUs/accelerators")}


def _check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    env = stack_environment(args, rules)
    if env is None:
        return
    cap = env.provisioning
    totals: dict[str, float] = defaultdict(float)
    for resource in args.resources:
        kind = kind_of(resource.resource_type)
        if kind is None or not kind.counts:
            continue
        for what, amount in kind.counts.items():
            value = kind.value(resource.props, amount) if isinstance(amount, str) else amount
            if value is UNKNOWN:
                yield Unknown(f"{resource.name}.{amount}")
                continue
            count = number(value) or 0.0
            totals[what] += count
            for role in kind.instance_type_roles[:1]:
                name = next((v for _, v in kind.values(resource.props, role) if isinstance(v, str)), None)
                known = catalogue.lookup(name) if name else None
                totals["gpus"] += count * (known.accelerators if known else 0)
    for what, (attribute, label) in LIMITS.items():
        limit = getattr(cap, attribute)
        if limit and totals[what] > limit:
            yield violation("stack", f"{env.name} provisioning limit", f"{totals[what]:g} {label} in this stack",
                            f"at most {limit} in {env.name}", "split the stack, or make groups smaller or fewer.")


SPECS = [StackPolicySpec(
    NAME, "A stack holds no more instances, node-group nodes, databases and GPUs than its environment allows.",
    _check, config_schema=PolicyConfigSchema(properties={
        "environments": per_environment(ProvisioningCap, "provisioning")}),
    patch=environment_section_patch("provisioning"), tags=("finops", "cost", "sizing"),
    remediation_steps="Split the stack, or make its node groups smaller or fewer, until its instances, nodes, "
                      "databases and GPUs are within the environment's provisioning limits.")]
