"""CPU and memory limits of Kubernetes containers within the environment's caps."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from finops_core.cap_policies import CAP_POLICY
from finops_core.pod_specs import is_accelerator_resource
from finops_core.quantity import QuantityError, format_bytes, format_cpu, parse_quantity
from finops_core.rules import Rules
from finops_core.rules.schema import ContainerCap
from finops_core.values import MISSING, UNKNOWN, get, get_path, is_list, number, short, string_items
from pulumi_policy import PolicyConfigSchema

from .config_schema import per_environment
from .kubernetes import is_kubernetes_object, pod_spec_path
from .messages import Unknown, violation
from .policy import Finding, environment_section_patch
from .policy_specs import ResourcePolicySpec
from .subject import Subject

NAME = CAP_POLICY["container"]
_RESOURCES = (("cpu", "cpu_cores", "max_cpu", format_cpu), ("memory", "memory_bytes", "max_memory", format_bytes))


def _applies(resource_type: str) -> bool:
    return is_kubernetes_object(resource_type) and pod_spec_path(resource_type) is not None


def _container(subject: Subject, where: str, container: Any, cap: ContainerCap, env: str) -> Iterator[Finding]:
    limits = get_path(container, ("resources", "limits"))
    if limits is UNKNOWN:
        yield Unknown(f"{where}.resources.limits")
        return
    name = get(container, "name")
    label = f"{subject.describe()} container {name if isinstance(name, str) else where}"
    for resource, cap_attr, cap_raw, fmt in _RESOURCES:
        limit: Decimal = getattr(cap, cap_attr)
        allowed = f"at most {getattr(cap, cap_raw)} ({fmt(limit)}) in {env}"
        value = get(limits, resource)
        if value is UNKNOWN:
            yield Unknown(f"{where}.resources.limits.{resource}")
            continue
        if value is MISSING:
            if cap.require_limits:
                yield violation(label, f"{env} container {resource} limit", "no limit (unbounded)", allowed,
                                f"set resources.limits.{resource}.")
            continue
        try:
            amount = parse_quantity(value)
        except QuantityError:
            yield violation(label, f"{env} container {resource} limit", f"limits.{resource}={short(value)}",
                            allowed, "write a Kubernetes quantity such as 500m or 512Mi.")
            continue
        if amount > limit:
            yield violation(label, f"{env} container {resource} limit", f"limits.{resource}={value} ({fmt(amount)})",
                            allowed, f"lower resources.limits.{resource}.")
    yield from _accelerators(label, where, container, cap, env)


def _accelerators(label: str, where: str, container: Any, cap: ContainerCap, env: str) -> Iterator[Finding]:
    """GPUs and other accelerators, requested as extended resources (nvidia.com/gpu ...): Kubernetes
    takes them from limits (requests, when given, must equal them)."""
    for block in ("limits", "requests"):
        values = get_path(container, ("resources", block))
        if values is UNKNOWN:
            yield Unknown(f"{where}.resources.{block}")
            continue
        for name, value in string_items(values):
            if not is_accelerator_resource(name):
                continue
            if value is UNKNOWN:
                yield Unknown(f"{where}.resources.{block}.{name}")
                continue
            count = number(value)
            if count is None or count > cap.max_gpus:
                allowed = "no GPU or accelerator" if cap.max_gpus == 0 else f"at most {cap.max_gpus} GPU/accelerator"
                yield violation(label, f"{env} container GPUs", f"{block}.{name}={short(value)}",
                                f"{allowed} in {env}", f"remove the {name} request, or run it in an environment "
                                "that allows GPUs.")
                return  # one finding per container: requests repeat limits


def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
    env_label = rules.labels.get("Environment", "environment")
    declared = subject.declared_environment(rules)
    if declared is UNKNOWN:
        yield Unknown(f"metadata.labels.{env_label}")
        return
    env = subject.environment(rules, declared)
    if env is None:
        yield violation(subject.describe(), "environment", f"no {env_label} label and stack {subject.stack!r} "
                        "names no environment", ", ".join(rules.environments),
                        f"label the object with {env_label}, or name the stack after its environment.")
        return
    spec_path = pod_spec_path(subject.type) or ()
    spec = get_path(subject.props, spec_path)
    if spec is UNKNOWN:
        yield Unknown(".".join(spec_path))
        return
    for list_name in ("initContainers", "containers"):
        containers = get(spec, list_name)
        if containers is UNKNOWN:
            yield Unknown(".".join((*spec_path, list_name)))
            continue
        if not is_list(containers):
            continue
        for index in range(len(containers)):
            where = ".".join((*spec_path, list_name)) + f"[{index}]"
            yield from _container(subject, where, get(containers, index), env.container, env.name)


SPECS = [ResourcePolicySpec(
    name=NAME,
    description="Kubernetes containers set CPU and memory limits within the environment's caps.",
    resource_types=_applies,
    check=check,
    config_schema=PolicyConfigSchema(properties={
        "environments": per_environment(ContainerCap, "container"),
    }),
    patch=environment_section_patch("container"),
    tags=("finops", "cost", "sizing", "kubernetes"),
    remediation_steps="Set resources.limits.cpu and resources.limits.memory on every container and init container, "
                      "within the environment's caps the finding names; request GPUs only where the environment "
                      "allows them.",
)]
