"""Turn a FinOps check (a function yielding messages) into a CrossGuard policy.

Each policy reads the shared guardrail rules, layers its own ``--policy-pack-config`` on top
(the same keys as ``rules.yaml``), and never raises: unknown values become the SDK's advisory
"can't run during preview", bad config becomes one violation that says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from finops_components.guardrails import ConfigError, Rules, load_rules, with_overrides
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
from .values import UNKNOWN_STRING

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


def _report(findings: Iterable[Finding], report: ReportViolation, policy: str,
            subject: Subject | None = None) -> None:
    """Report findings, setting waived ones aside (see waiving.py) and raising for unknowns."""
    from .waiving import STACK_KEY, target_of_urn, waive

    unknown: list[str] = []
    for finding in findings:
        if isinstance(finding, Unknown):
            unknown.append(finding.path)
            continue
        if isinstance(finding, AtResource):
            message, urn = finding.message, finding.urn
            (resource_type, name), key = target_of_urn(urn), STACK_KEY
        elif subject is not None:
            message, urn, resource_type, name, key = finding, None, subject.type, subject.name, subject.urn
        else:
            message, urn, resource_type, name, key = finding, None, "pulumi:pulumi:Stack", current_stack() or "", \
                STACK_KEY
        kept = waive(policy, resource_type, name, message, key) if not policy.startswith("finops-waivers") \
            else message
        if kept is not None:
            report(kept, urn)
    if unknown:
        # The SDK turns this into its standard advisory: the policy ran as far as it could;
        # the update (when values are known) judges the rest.
        raise UnknownValueError(UNKNOWN_STRING, unknown[0].split("."))


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
    def subject_of(args: ResourceValidationArgs) -> Subject:
        provider = args.provider.props if args.provider is not None else None
        return Subject(args.resource_type, args.name, args.urn, args.props, provider, current_stack())

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if remediation is None or not applies_to(args.resource_type):
            return None
        try:
            rules = _rules(args.get_config(), patch, name)
        except ConfigError:
            return None  # validate reports the bad config
        return remediation(subject_of(args), rules)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not applies_to(args.resource_type):
            return
        try:
            rules = _rules(args.get_config(), patch, name)
        except ConfigError as exc:
            report(f"invalid policy pack config: {exc}", None)
            return
        subject = subject_of(args)
        _report(check(subject, rules), report, name, subject)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        # The SDK accepts a plain mapping as well as an awaitable (its Remediate handler checks).
        remediate=remediate if remediation is not None else None,  # type: ignore[arg-type]
    )
    # Lets servicer.py skip the policy for other resource types without decoding anything.
    policy.finops_applies_to = applies_to  # type: ignore[attr-defined]
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
            report(f"invalid policy pack config: {exc}", None)
            return
        _report(check(args, rules), report, name)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
