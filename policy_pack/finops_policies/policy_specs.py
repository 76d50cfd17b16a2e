"""The one way to declare a FinOps policy: a spec with defaults, like awsguard's registered policies.

A policy module declares ``SPECS``, a list of :class:`ResourcePolicySpec` and
:class:`StackPolicySpec`; :mod:`.registry` builds them, in the order the pack runs them, into the
SDK's policies. A spec gives its name, description, enforcement level, the resource types it
applies to, its check, a config schema derived from the rules (``config_schema``) with ``patch``
mapping that config onto rules.yaml's keys, and the metadata Pulumi Cloud shows with a finding
(pulumi-policy 1.18 and later: display name, severity, tags, remediation steps, a link to the
README).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from finops_core.rules import Rules
from pulumi_policy import EnforcementLevel, Policy, PolicyConfigSchema, Severity

from .policy import ConfigPatch, Finding, PackSettings, ResourceCheck, StackCheck, resource_policy, stack_policy
from .subject import Subject

# Where the README is published: each policy links to its section there (Pulumi Cloud shows the link).
README_URL = "https://github.com/finops-guardrails/finops-guardrails/blob/main/README.md"
POLICIES_SECTION = "the-policies"  # the anchor of "### The policies"
ADVICE_SECTION = "advice-exceptions-and-remediation"


def readme(anchor: str) -> str:
    return f"{README_URL}#{anchor}"


def no_patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """For policies whose config is not rules.yaml keys (or that take none)."""
    return None


def _empty_schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={})


def display_name_of(name: str) -> str:
    """``finops-instance-size`` -> ``Instance size``: the default display name."""
    words = name.removeprefix("finops-").replace("-", " ")
    return words[:1].upper() + words[1:]


def _severity(severity: Severity | None, level: EnforcementLevel) -> Severity:
    """A mandatory policy blocks the change (high); an advisory one only informs (low)."""
    if severity is not None:
        return severity
    return Severity.LOW if level == EnforcementLevel.ADVISORY else Severity.HIGH


@dataclass(frozen=True)
class _Metadata:
    """What Pulumi Cloud shows beside a finding; every spec has it."""

    remediation_steps: str = field(kw_only=True)
    tags: tuple[str, ...] = field(default=("finops", "cost"), kw_only=True)
    severity: Severity | None = field(default=None, kw_only=True)  # None: from the enforcement level
    url: str = field(default=readme(POLICIES_SECTION), kw_only=True)
    display_name: str = field(default="", kw_only=True)  # "": from the name

    def metadata(self, name: str, level: EnforcementLevel) -> dict[str, Any]:
        return {"display_name": self.display_name or display_name_of(name), "severity": _severity(self.severity, level),
                "tags": list(self.tags), "remediation_steps": self.remediation_steps, "url": self.url}


@dataclass(frozen=True)
class ResourcePolicySpec(_Metadata):
    name: str
    description: str
    # The resource types it judges: a set of type tokens, or a predicate for open-ended families
    # (every taggable AWS type, every Kubernetes object).
    resource_types: frozenset[str] | Callable[..., bool]
    check: Callable[..., Iterable[Finding]]
    config_schema: PolicyConfigSchema = field(default_factory=_empty_schema)
    patch: ConfigPatch = no_patch
    level: EnforcementLevel = EnforcementLevel.MANDATORY
    remediation: Callable[[Subject, Rules], Mapping[str, Any] | None] | None = None
    waivable: bool = True
    # The check and the type predicate also take the pack's settings (keyword ``settings``): the
    # waivers policies judge the other policies of the pack they are built into.
    reads_pack: bool = False

    def build(self, settings: PackSettings) -> Policy:
        types, check = self.resource_types, self.check
        if self.reads_pack:
            check = functools.partial(check, settings=settings)
            if not isinstance(types, frozenset):
                types = functools.partial(types, settings=settings)

        def applies_to(resource_type: str) -> bool:
            return resource_type in types if isinstance(types, frozenset) else bool(types(resource_type))

        resource_check: ResourceCheck = check
        return resource_policy(self.name, self.description, applies_to, resource_check, self.config_schema,
                               self.patch, self.level, self.remediation, self.waivable, settings,
                               **self.metadata(self.name, self.level))


@dataclass(frozen=True)
class StackPolicySpec(_Metadata):
    name: str
    description: str
    check: Callable[..., Iterable[Finding]]
    config_schema: PolicyConfigSchema = field(default_factory=_empty_schema)
    patch: ConfigPatch = no_patch
    level: EnforcementLevel = EnforcementLevel.MANDATORY
    waivable: bool = True
    reads_pack: bool = False  # as for ResourcePolicySpec

    def build(self, settings: PackSettings) -> Policy:
        stack_check: StackCheck = functools.partial(self.check, settings=settings) if self.reads_pack else self.check
        return stack_policy(self.name, self.description, stack_check, self.config_schema, self.patch, self.level,
                            self.waivable, settings, **self.metadata(self.name, self.level))


PolicySpec = ResourcePolicySpec | StackPolicySpec
