"""Per-environment sizing caps: one CrossGuard policy per cap section of rules.yaml.

Which property of which resource type a section judges is the table of resource kinds
(``finops_core/data/kinds``); this module only says, per section, the policy's name, what it is
for and how to fix a violation (its name comes from :mod:`finops_core.cap_policies`). A new kind is
a row in that table; a new section is a cap dataclass in the rules schema, its policy's name in
``cap_policies`` and one entry here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from finops_core.cap_policies import CAP_POLICY
from finops_core.kinds import ResourceKind, SizeRule, kinds_in_section
from finops_core.rules import EnvironmentRules, Rules
from finops_core.rules.schema import (
    AnalyticsCap,
    CacheCap,
    DatabaseCap,
    EbsVolumeCap,
    InstanceCap,
    LambdaCap,
    LogRetentionCap,
    MachineLearningCap,
    NodeGroupCap,
    SearchCap,
    StreamingCap,
    TaskCap,
    WarehouseCap,
    cap_key_attr,
    cap_label,
    cap_unit,
)
from finops_core.sizes import describe_cap, judge_instance
from finops_core.values import MISSING, UNKNOWN, number, short
from pulumi_policy import PolicyConfigSchema

from .config_schema import per_environment
from .messages import Unknown, violation
from .policy import Finding, environment_section_patch
from .policy_specs import ResourcePolicySpec
from .subject import Subject


@dataclass(frozen=True)
class SizingPolicy:
    description: str
    section: str  # key of the cap block in rules.yaml
    cap_type: type
    fix: str

    @property
    def name(self) -> str:
        return CAP_POLICY[self.section]


SIZING_POLICIES: tuple[SizingPolicy, ...] = (
    SizingPolicy("EC2 instance types (instances, launch templates, spot requests and "
                 "fleets, EC2 Fleet, autoscaling groups, EKS node groups) stay within the environment's vCPU, "
                 "memory and GPU caps.", "instance", InstanceCap, "choose a smaller instance type."),
    SizingPolicy("Node groups, autoscaling groups and fleets scale to at most the "
                 "environment's node count.", "nodeGroup", NodeGroupCap, "lower the maximum size."),
    SizingPolicy("Database classes (RDS, Aurora, DocumentDB, Neptune), storage, "
                 "Multi-AZ and Aurora Serverless v2 capacity stay within the environment's caps.", "database",
                 DatabaseCap, "choose a smaller class or less storage."),
    SizingPolicy("Cache node types (ElastiCache, MemoryDB) stay within the environment's "
                 "vCPU and memory caps.", "cache", CacheCap, "choose a smaller node type."),
    SizingPolicy("OpenSearch data, master and warm node types and the data node count "
                 "stay within the environment's caps.", "search", SearchCap,
                 "choose a smaller node type or fewer nodes."),
    SizingPolicy("MSK broker types and broker counts stay within the environment's "
                 "caps.", "streaming", StreamingCap, "choose a smaller broker type or fewer brokers."),
    SizingPolicy("Redshift node types and counts, and Redshift Serverless RPUs, stay "
                 "within the environment's caps.", "warehouse", WarehouseCap,
                 "choose a smaller node type, fewer nodes or fewer RPUs."),
    SizingPolicy("EMR instance types (groups and fleets) and instance counts stay "
                 "within the environment's caps.", "analytics", AnalyticsCap,
                 "choose a smaller instance type or fewer instances."),
    SizingPolicy("SageMaker endpoint and notebook instance types and counts stay within "
                 "the environment's caps.", "machineLearning", MachineLearningCap,
                 "choose a smaller ml. instance type or fewer instances."),
    SizingPolicy("ECS task definitions (what Fargate bills) stay within the environment's "
                 "vCPU and memory caps.", "task", TaskCap, "request less CPU or memory."),
    SizingPolicy("EBS volumes (and the volumes of instances, launch templates, node "
                 "groups, OpenSearch, MSK and notebooks) stay within the environment's size cap.", "ebsVolume",
                 EbsVolumeCap, "request a smaller volume."),
    SizingPolicy("Lambda functions stay within the environment's memory cap.", "lambda",
                 LambdaCap, "lower memorySize."),
    SizingPolicy("Log groups set a retention no longer than the environment allows.",
                 "logRetention", LogRetentionCap, "set retentionInDays to a supported value within the cap."),
)


def _instance_type(subject: Subject, where: str, value: Any, env: EnvironmentRules, rule: SizeRule,
                   fix: str) -> Iterator[Finding]:
    cap = env.section(rule.section)
    name = f"{env.name} {rule.section} size"
    if not isinstance(value, str) or not value:
        yield violation(subject.describe(), name, f"{where}={short(value)}", "an instance type name such as t3.micro",
                        "set a valid instance type.")
        return
    verdict = judge_instance(value, cap)
    if verdict.fits:
        return
    if verdict.instance is None:
        fix = "use a known type; unknown types are rejected because their size cannot be judged."
    elif verdict.suggestion:
        fix = f"{fix[:-1]} such as {verdict.suggestion}."
    yield violation(subject.describe(), name, f"{where}={verdict.found}",
                    f"{describe_cap(cap, verdict.instance)} in {env.name}", fix)


def _number(subject: Subject, where: str, value: Any, env: EnvironmentRules, rule: SizeRule,
            fix: str) -> Iterator[Finding]:
    cap = env.section(rule.section)
    limit = getattr(cap, cap_key_attr(type(cap), rule.cap_key))
    unit = cap_unit(type(cap), rule.cap_key)
    unit_text = f" {unit}" if unit else ""
    name = f"{env.name} {cap_label(rule.section, rule.cap_key)}"
    allowed = f"at most {limit:g}{unit_text} in {env.name}"
    if value is MISSING:
        if rule.check == "required-at-most":
            yield violation(subject.describe(), name, f"{where} not set (kept forever)",
                            f"{allowed} (1 to {limit:g})", fix)
        return
    amount = number(value)
    if amount is None:
        yield violation(subject.describe(), name, f"{where}={short(value)}", allowed, "set a number.")
        return
    scaled = amount * rule.scale
    if rule.check == "required-at-most" and amount == 0:
        yield violation(subject.describe(), name, f"{where}=0 (never expire)", allowed, fix)
    elif scaled > limit:
        shown = f"{amount:g}" if rule.scale == 1 else f"{amount:g} ({scaled:g}{unit_text})"
        yield violation(subject.describe(), name, f"{where}={shown}" + (unit_text if rule.scale == 1 else ""),
                        allowed, fix)


def _flag(subject: Subject, where: str, value: Any, env: EnvironmentRules, rule: SizeRule,
          fix: str) -> Iterator[Finding]:
    cap = env.section(rule.section)
    if value is True and not getattr(cap, cap_key_attr(type(cap), rule.cap_key)):
        yield violation(subject.describe(), f"{env.name} {cap_label(rule.section, rule.cap_key)}", f"{where}=true",
                        f"{where}=false in {env.name}", f"set {where} to false.")


_CHECKS = {"instance-type": _instance_type, "at-most": _number, "required-at-most": _number, "allowed-flag": _flag}


def _environment(subject: Subject, rules: Rules) -> EnvironmentRules | Unknown | None:
    declared = subject.declared_environment(rules)
    if declared is UNKNOWN:
        return Unknown("tags.Environment")
    return subject.environment(rules, declared)


def _check_for(policy: SizingPolicy, kinds: dict[str, ResourceKind]) -> Any:
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
        kind = kinds[subject.type]
        for rule in kind.sizes:
            if rule.section != policy.section:
                continue
            for where, value in kind.values(subject.props, rule.role):
                if value is UNKNOWN:
                    yield Unknown(where)
                elif value is not MISSING or rule.check == "required-at-most":
                    yield from _CHECKS[rule.check](subject, where, value, env, rule, policy.fix)

    return check


SPECS = [ResourcePolicySpec(
    name=policy.name,
    description=policy.description,
    resource_types=frozenset(kinds_in_section(policy.section)),
    check=_check_for(policy, kinds_in_section(policy.section)),
    config_schema=PolicyConfigSchema(properties={"environments": per_environment(policy.cap_type, policy.section)}),
    patch=environment_section_patch(policy.section),
    tags=("finops", "cost", "sizing"),
    remediation_steps=f"{policy.fix[:1].upper()}{policy.fix[1:]} The finding names the cap and a type or size "
                      "that fits; for an exception, ask the platform team to approve a waiver in waivers.yaml.",
) for policy in SIZING_POLICIES]
