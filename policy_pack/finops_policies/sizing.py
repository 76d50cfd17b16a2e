"""Per-environment sizing caps, one CrossGuard policy per concern, driven by :mod:`.targets`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from finops_core.rules import EnvironmentRules, Rules
from finops_core.rules.schema import (
    CacheCap,
    DatabaseCap,
    EbsVolumeCap,
    InstanceCap,
    LambdaCap,
    LogRetentionCap,
    NodeGroupCap,
)
from finops_core.sizes import describe_cap, judge_instance
from finops_core.values import MISSING, UNKNOWN, number, short, values_at
from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy

from .config_schema import per_environment
from .messages import Unknown, violation
from .policy import Finding, environment_section_patch, resource_policy
from .subject import Subject
from .targets import CACHE, DB, EBS, INSTANCE, LAMBDA, LOGS, NODES, TARGETS, Target


@dataclass(frozen=True)
class SizingPolicy:
    name: str
    description: str
    section: str  # key of the cap block in rules.yaml
    cap_type: type
    fix: str


SIZING_POLICIES: tuple[SizingPolicy, ...] = (
    SizingPolicy(INSTANCE, "EC2 instance types stay within the environment's vCPU, memory and "
                 "GPU caps.", "instance", InstanceCap, "choose a smaller instance type."),
    SizingPolicy(NODES, "Node groups scale to at most the environment's node count.",
                 "nodeGroup", NodeGroupCap, "lower the maximum size."),
    SizingPolicy(DB, "Database classes, storage and Multi-AZ stay within the environment's "
                 "caps.", "database", DatabaseCap, "choose a smaller class or less storage."),
    SizingPolicy(CACHE, "Cache node types stay within the environment's vCPU and memory caps.",
                 "cache", CacheCap, "choose a smaller node type."),
    SizingPolicy(EBS, "EBS volumes stay within the environment's size cap.", "ebsVolume",
                 EbsVolumeCap, "request a smaller volume."),
    SizingPolicy(LAMBDA, "Lambda functions stay within the environment's memory cap.", "lambda",
                 LambdaCap, "lower memorySize."),
    SizingPolicy(LOGS, "Log groups set a retention no longer than the environment allows.",
                 "logRetention", LogRetentionCap, "set retentionInDays to a supported value within the cap."),
)

_ENV_ATTR = {f.metadata["key"]: f.name for f in fields(EnvironmentRules) if "key" in f.metadata}


def _cap(env: EnvironmentRules, section: str) -> Any:
    return getattr(env, _ENV_ATTR[section])


def _cap_key(cap: Any, attr: str) -> str:
    return str(next(f.metadata["key"] for f in fields(cap) if f.name == attr))


def _instance_class(subject: Subject, where: str, value: Any, env: EnvironmentRules, target: Target,
                    fix: str) -> Iterator[Finding]:
    cap = _cap(env, target.section)
    rule = f"{env.name} {target.section} size"
    if not isinstance(value, str) or not value:
        yield violation(subject.describe(), rule, f"{where}={short(value)}", "an instance type name such as t3.micro",
                        "set a valid instance type.")
        return
    verdict = judge_instance(value, cap)
    if verdict.fits:
        return
    if verdict.instance is None:
        fix = "use a known type; unknown types are rejected because their size cannot be judged."
    elif verdict.suggestion:
        fix = f"{fix[:-1]} such as {verdict.suggestion}."
    yield violation(subject.describe(), rule, f"{where}={verdict.found}", f"{describe_cap(cap)} in {env.name}", fix)


def _number(subject: Subject, where: str, value: Any, env: EnvironmentRules, target: Target,
            fix: str) -> Iterator[Finding]:
    cap = _cap(env, target.section)
    limit = getattr(cap, target.cap_field)
    rule = f"{env.name} {_cap_key(cap, target.cap_field)}"
    allowed = f"at most {limit:g} {target.unit} in {env.name}"
    if value is MISSING:
        if target.check == "required-at-most":
            yield violation(subject.describe(), rule, f"{where} not set (kept forever)",
                            f"{allowed} (1 to {limit:g})", fix)
        return
    amount = number(value)
    if amount is None:
        yield violation(subject.describe(), rule, f"{where}={short(value)}", allowed, "set a number.")
    elif target.check == "required-at-most" and amount == 0:
        yield violation(subject.describe(), rule, f"{where}=0 (never expire)", allowed, fix)
    elif amount > limit:
        yield violation(subject.describe(), rule, f"{where}={amount:g} {target.unit}", allowed, fix)


def _flag(subject: Subject, where: str, value: Any, env: EnvironmentRules, target: Target,
          fix: str) -> Iterator[Finding]:
    cap = _cap(env, target.section)
    if value is True and not getattr(cap, target.cap_field):
        yield violation(subject.describe(), f"{env.name} {_cap_key(cap, target.cap_field)}", f"{where}=true",
                        f"{where}=false in {env.name}", f"set {where} to false.")


_CHECKS = {"instance-class": _instance_class, "at-most": _number, "required-at-most": _number,
           "allowed-flag": _flag}


def _environment(subject: Subject, rules: Rules) -> EnvironmentRules | Unknown | None:
    declared = subject.declared_environment(rules)
    if declared is UNKNOWN:
        return Unknown("tags.Environment")
    return subject.environment(rules, declared)


def _check_for(policy: SizingPolicy, targets: Mapping[str, tuple[Target, ...]]) -> Any:
    def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
        env = _environment(subject, rules)
        if isinstance(env, Unknown):
            yield env
            return
        if env is None:
            yield violation(subject.describe(), "environment", f"no Environment tag and stack "
                            f"{subject.stack!r} names no environment", ", ".join(rules.environments),
                            "tag the resource with Environment, or name the stack after its environment.")
            return
        for target in targets[subject.type]:
            for where, value in values_at(subject.props, target.path):
                if value is UNKNOWN:
                    yield Unknown(where)
                elif value is not MISSING or target.check == "required-at-most":
                    yield from _CHECKS[target.check](subject, where, value, env, target, policy.fix)

    return check


def build_policies() -> list[ResourceValidationPolicy]:
    policies = []
    for policy in SIZING_POLICIES:
        by_type: dict[str, tuple[Target, ...]] = {}
        for target in TARGETS:
            if target.policy == policy.name:
                by_type[target.resource_type] = (*by_type.get(target.resource_type, ()), target)
        types = frozenset(by_type)
        policies.append(resource_policy(
            name=policy.name,
            description=policy.description,
            applies_to=types.__contains__,
            check=_check_for(policy, by_type),
            config_schema=PolicyConfigSchema(properties={
                "environments": per_environment(policy.cap_type, policy.section),
            }),
            patch=environment_section_patch(policy.section),
        ))
    return policies
