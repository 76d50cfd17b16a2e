"""Turn a FinOps check (a function yielding messages) into a CrossGuard policy.

Each policy reads the shared guardrail rules, layers its own ``--policy-pack-config`` on top
(the same keys as ``rules.yaml``), and never raises: unknown values become the SDK's advisory
"can't run during preview", bad config becomes one violation that says what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from finops_core import estimate_resource
from finops_core.price_book import price_book_from_environment
from finops_core.rules import ConfigError, Rules, load_rules, with_overrides
from finops_core.values import UNKNOWN_STRING
from finops_core.waivers import WaiverSet
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

from .messages import AtResource, Priced, Unknown
from .subject import Subject, current_stack
from .waiver_file import configured_waivers_file, current_waivers, target_of_urn, waivers_today

Finding = str | Unknown | AtResource | Priced
ResourceCheck = Callable[[Subject, Rules], Iterable[Finding]]
StackCheck = Callable[[StackValidationArgs, Rules], Iterable[Finding]]
# Turns this policy's config into a patch of rules.yaml (same keys), or None for no change.
ConfigPatch = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]


def _rules(config: Mapping[str, Any] | None, patch: ConfigPatch, policy_name: str) -> Rules:
    base = load_rules()
    if not config:
        return base
    return with_overrides(base, patch(config), f"policy pack config for {policy_name}")


@dataclass
class PackSettings:
    """Settings of one pack instance that every policy of it reads, set when the engine configures
    the pack (``Configure``): whether the waivers policies are enabled. Without them waivers do not
    apply, and a waived violation stays at its policy's level."""

    waivers_on: bool = True
    waivers_file: str | None = None   # the finops-waivers policy's ``file`` config
    # The waivers and the day they are judged on, read once per Configure (every policy of every
    # request needs them; reset when the engine configures the pack again).
    resolved: tuple[WaiverSet | None, dt.date | None] | None = None
    # Each policy's config as configured: the waivers policies judge a peer under its own rules.
    configs: dict[str, Any] = field(default_factory=dict)
    # The FinOps checks of the pack, set as it is built: the waivers policies judge these peers.
    checks: list[FinopsResourceCheck | FinopsStackCheck] = field(default_factory=list)

    def reset(self) -> None:
        self.resolved = None


@dataclass(frozen=True)
class Waived:
    """A finding an approved waiver covers: reported once, by the advisory waivers policies."""

    message: str
    urn: str | None
    waiver: str


@dataclass(frozen=True)
class Verdict:
    """What a check found: (message, urn) pairs to report, the findings waivers took aside, and the
    first value it could not judge because the engine does not know it yet (dotted path), if any."""

    findings: list[tuple[str, str | None]]
    unknown: str | None = None
    waived: list[Waived] = field(default_factory=list)

    def report_to(self, report: ReportViolation) -> None:
        """Report as the SDK expects: findings first, then the unknown as its UnknownValueError,
        which the SDK turns into its advisory "can't run policy during preview"."""
        for message, urn in self.findings:
            report(message, urn)
        if self.unknown is not None:
            raise UnknownValueError(UNKNOWN_STRING, self.unknown.split("."))


def monthly_cost(subject: Subject) -> float:
    """The resource's monthly estimate (0 when it has no cost of its own or cannot be priced): what
    a waiver of one of its findings lets through. Raises ConfigError for a bad price book."""
    estimate = estimate_resource(subject.type, subject.inputs, subject.region,
                                 price_book=price_book_from_environment())
    return estimate.monthly_usd or 0.0 if estimate is not None else 0.0


def _lets_through(finding: Finding, subject: Subject | None) -> float:
    if isinstance(finding, Priced):
        return finding.lets_through_usd
    if subject is not None and not isinstance(finding, AtResource):
        try:
            return monthly_cost(subject)
        except ConfigError:
            return 0.0  # the budget policies report a bad price book
    return 0.0


def judge_findings(findings: Iterable[Finding], policy: str, subject: Subject | None, waivers: WaiverSet | None,
                   today: dt.date | None) -> Verdict:
    """Findings with those an approved, unexpired waiver covers set aside in ``waived``.

    A waiver whose approvals do not satisfy the approval tier of what it lets through (the
    resource's monthly estimate; a stack finding's own amount) does not apply, and the finding
    says which approval is missing. ``waivers`` None: waivers are off (or the policy cannot be
    waived), every finding stands."""
    kept: list[tuple[str, str | None]] = []
    waived: list[Waived] = []
    unknown: str | None = None
    stack = current_stack() if waivers is not None else None
    for finding in findings:
        if isinstance(finding, Unknown):
            unknown = unknown or finding.path
            continue
        text = finding.message if isinstance(finding, Priced) else finding
        if isinstance(text, AtResource):
            message, urn = text.message, text.urn
            resource_type, name = target_of_urn(urn)
        elif subject is not None:
            message, urn, resource_type, name = text, None, subject.type, subject.name
        else:
            message, urn, resource_type, name = text, None, "pulumi:pulumi:Stack", stack or ""
        waiver = waivers.find(policy, stack, resource_type, name) if waivers is not None else None
        if waiver is None or today is None or waivers is None:
            kept.append((message, urn))
        elif waiver.expired(today):
            kept.append((f"{message} ({waiver.describe()} expired: the policy applies again)", urn))
        elif waivers.tiers and (gap := waivers.approval_gap(waiver, _lets_through(finding, subject))) is not None:
            kept.append((f"{message} ({waiver.describe()} does not apply: {gap})", urn))
        else:
            waived.append(Waived(message, urn, f"{waiver.describe()}: {waiver.reason}"))
    return Verdict(kept, unknown, waived)


def _waivers(settings: PackSettings, waivable: bool) -> tuple[WaiverSet | None, dt.date | None]:
    if not (waivable and settings.waivers_on):
        return None, None
    if settings.resolved is None:
        current = current_waivers(settings.waivers_file)
        try:
            settings.resolved = (current, waivers_today()) if current.waivers else (None, None)
        except ConfigError:
            # No day to judge expiry by: no waiver applies (finops-waivers-stack says why).
            settings.resolved = (None, None)
    return settings.resolved


@dataclass(frozen=True)
class FinopsResourceCheck:
    """A resource policy's FinOps side, attached to the SDK policy as ``finops``: the pack's
    servicer calls it directly with one shared :class:`Subject` per request and rules resolved
    once per ``Configure``; the SDK's own path goes through the policy's ``validate``."""

    name: str
    applies_to: Callable[[str], bool]
    check: ResourceCheck
    patch: ConfigPatch
    settings: PackSettings
    waivable: bool = True

    def rules(self, config: Mapping[str, Any] | None) -> Rules:
        """The rules under this policy's config; raises ConfigError for config that does not fit."""
        return _rules(config, self.patch, self.name)

    def judge(self, subject: Subject, rules: Rules) -> Verdict:
        waivers, today = _waivers(self.settings, self.waivable)
        return judge_findings(self.check(subject, rules), self.name, subject, waivers, today)


@dataclass(frozen=True)
class FinopsStackCheck:
    name: str
    check: StackCheck
    patch: ConfigPatch
    settings: PackSettings
    waivable: bool = True

    def rules(self, config: Mapping[str, Any] | None) -> Rules:
        return _rules(config, self.patch, self.name)

    def judge(self, args: StackValidationArgs, rules: Rules) -> Verdict:
        waivers, today = _waivers(self.settings, self.waivable)
        with configured_waivers_file(self.settings.waivers_file):
            return judge_findings(self.check(args, rules), self.name, None, waivers, today)


NOT_APPLICABLE = "judges other resource types"


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
    waivable: bool = True,
    settings: PackSettings | None = None,
    **metadata: Any,
) -> ResourceValidationPolicy:
    """``metadata``: the SDK's display_name, severity, tags, remediation_steps and url."""
    finops = FinopsResourceCheck(name, applies_to, check, patch, settings or PackSettings(), waivable)

    def subject_of(args: ResourceValidationArgs) -> Subject:
        provider = args.provider.props if args.provider is not None else None
        return Subject(args.resource_type, args.name, args.urn, args.props, provider, current_stack(),
                       stack_tags=getattr(args, "stack_tags", None) or {})

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
            # Said, not silently skipped: reports list only the policies that judged a resource.
            args.not_applicable(NOT_APPLICABLE)
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
        **metadata,
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
    waivable: bool = True,
    settings: PackSettings | None = None,
    **metadata: Any,
) -> StackValidationPolicy:
    finops = FinopsStackCheck(name, check, patch, settings or PackSettings(), waivable)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        try:
            rules = finops.rules(args.get_config())
        except ConfigError as exc:
            report(invalid_config(exc), None)
            return
        finops.judge(args, rules).report_to(report)

    policy = StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        **metadata,
    )
    policy.finops = finops  # type: ignore[attr-defined]
    return policy
