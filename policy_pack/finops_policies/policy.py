"""Turn a FinOps check (a function yielding messages) into a CrossGuard policy.

Each policy reads the shared guardrail rules, layers its own ``--policy-pack-config`` on top
(the same keys as ``rules.yaml``), and never raises: unknown values become the SDK's advisory
"can't run during preview", bad config becomes one violation that says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finops_core.rules import ConfigError, Rules, load_rules, with_overrides
from finops_core.values import UNKNOWN_STRING
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .messages import AtResource, Unknown
from .subject import Subject, current_stack
from .waiving import STACK_KEY, target_of_urn, waive

Finding = str | Unknown | AtResource
ResourceCheck = Callable[[Subject, Rules], Iterable[Finding]]
StackCheck = Callable[[StackValidationArgs, Rules], Iterable[Finding]]
# Turns this policy's config into a patch of rules.yaml (same keys), or None for no change.
ConfigPatch = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]


def _rules(config: Mapping[str, Any] | None, patch: ConfigPatch, policy_name: str) -> Rules:
    base = load_rules()
    if not config:
        return base
    return with_overrides(base, patch(config), f"policy pack config for {policy_name}")


@dataclass(frozen=True)
class Verdict:
    """What a check found, after waivers: (message, urn) pairs to report, and the first value it
    could not judge because the engine does not know it yet (dotted path), if any."""

    findings: list[tuple[str, str | None]]
    unknown: str | None = None

    def report_to(self, report: ReportViolation) -> None:
        """Report as the SDK expects: findings first, then the unknown as its UnknownValueError,
        which the SDK turns into its advisory "can't run policy during preview"."""
        for message, urn in self.findings:
            report(message, urn)
        if self.unknown is not None:
            raise UnknownValueError(UNKNOWN_STRING, self.unknown.split("."))


def _verdict(findings: Iterable[Finding], policy: str, subject: Subject | None = None) -> Verdict:
    """Findings with waived ones set aside (see waiving.py)."""
    kept: list[tuple[str, str | None]] = []
    unknown: str | None = None
    for finding in findings:
        if isinstance(finding, Unknown):
            unknown = unknown or finding.path
            continue
        if isinstance(finding, AtResource):
            message, urn = finding.message, finding.urn
            (resource_type, name), key = target_of_urn(urn), STACK_KEY
        elif subject is not None:
            message, urn, resource_type, name, key = finding, None, subject.type, subject.name, subject.urn
        else:
            message, urn, resource_type, name, key = finding, None, "pulumi:pulumi:Stack", current_stack() or "", \
                STACK_KEY
        message_kept = waive(policy, resource_type, name, message, key) if not policy.startswith("finops-waivers") \
            else message
        if message_kept is not None:
            kept.append((message_kept, urn))
    return Verdict(kept, unknown)


@dataclass(frozen=True)
class FinopsResourceCheck:
    """A resource policy's FinOps side, attached to the SDK policy as ``finops``: the pack's
    servicer calls it directly with one shared :class:`Subject` per request and rules resolved
    once per ``Configure``; the SDK's own path goes through the policy's ``validate``."""

    name: str
    applies_to: Callable[[str], bool]
    check: ResourceCheck
    patch: ConfigPatch

    def rules(self, config: Mapping[str, Any] | None) -> Rules:
        """The rules under this policy's config; raises ConfigError for config that does not fit."""
        return _rules(config, self.patch, self.name)

    def judge(self, subject: Subject, rules: Rules) -> Verdict:
        return _verdict(self.check(subject, rules), self.name, subject)


def invalid_config(error: ConfigError) -> str:
    return f"invalid policy pack config: {error}"


def environment_section_patch(section: str) -> ConfigPatch:
    """Config ``{"environments": {"dev": {...}}}`` patches ``environments.dev.<section>``."""

    def patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
        overrides = config.get("environments")
        if not isinstance(overrides, Mapping) or not overrides:
            return None
        return {"environments": {env: {section: caps} for env, caps in overrides.items()}}

    return patch


def resource_policy(
    name: str,
    description: str,
    applies_to: Callable[[str], bool],
    check: ResourceCheck,
    config_schema: PolicyConfigSchema | None,
    patch: ConfigPatch,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    remediation: Callable[[Subject, Rules], Mapping[str, Any] | None] | None = None,
) -> ResourceValidationPolicy:
    finops = FinopsResourceCheck(name, applies_to, check, patch)

    def subject_of(args: ResourceValidationArgs) -> Subject:
        provider = args.provider.props if args.provider is not None else None
        return Subject(args.resource_type, args.name, args.urn, args.props, provider, current_stack())

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if remediation is None or not applies_to(args.resource_type):
            return None
        try:
            rules = finops.rules(args.get_config())
        except ConfigError:
            return None  # validate reports the bad config
        return remediation(subject_of(args), rules)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not applies_to(args.resource_type):
            return
        try:
            rules = finops.rules(args.get_config())
        except ConfigError as exc:
            report(invalid_config(exc), None)
            return
        finops.judge(subject_of(args), rules).report_to(report)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        # The SDK accepts a plain mapping as well as an awaitable (its Remediate handler checks).
        remediate=remediate if remediation is not None else None,  # type: ignore[arg-type]
    )
    policy.finops = finops  # type: ignore[attr-defined]
    return policy


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    config_schema: PolicyConfigSchema | None,
    patch: ConfigPatch,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        try:
            rules = _rules(args.get_config(), patch, name)
        except ConfigError as exc:
            report(invalid_config(exc), None)
            return
        _verdict(check(args, rules), name).report_to(report)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
