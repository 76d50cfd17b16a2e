"""The one way to declare a FinOps policy: a spec with defaults, like awsguard's registered policies.

Every policy module declares ``SPECS`` (tags, labels, sizing, containers, budget_alerts,
cost_vs_budget, spending_limits, provisioning, network_limits, advice, waiver_policies);
:func:`build_pack_policies` builds them, in the order the pack runs them, into the SDK's
policies. A spec gives its name, description, enforcement level, the resource types it applies
to, its check, and a config schema derived from the rules (``config_schema``) with ``patch``
mapping that config onto rules.yaml's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from finops_core.rules import Rules
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    StackValidationArgs,
)

from .policy import ConfigPatch, Finding, PackSettings, ResourceCheck, resource_policy, stack_policy
from .subject import Subject


def no_patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """For policies whose config is not rules.yaml keys (or that take none)."""
    return None


def _empty_schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={})


@dataclass(frozen=True)
class ResourcePolicySpec:
    name: str
    description: str
    # The resource types it judges: a set of type tokens, or a predicate for open-ended families
    # (every taggable AWS type, every Kubernetes object).
    resource_types: frozenset[str] | Callable[[str], bool]
    check: ResourceCheck
    config_schema: PolicyConfigSchema = field(default_factory=_empty_schema)
    patch: ConfigPatch = no_patch
    level: EnforcementLevel = EnforcementLevel.MANDATORY
    remediation: Callable[[Subject, Rules], Mapping[str, Any] | None] | None = None
    waivable: bool = True

    def applies_to(self, resource_type: str) -> bool:
        types = self.resource_types
        return resource_type in types if isinstance(types, frozenset) else types(resource_type)

    def build(self, settings: PackSettings) -> Policy:
        return resource_policy(self.name, self.description, self.applies_to, self.check, self.config_schema,
                               self.patch, self.level, self.remediation, self.waivable, settings)


@dataclass(frozen=True)
class StackPolicySpec:
    name: str
    description: str
    check: Callable[[StackValidationArgs, Rules], Iterable[Finding]]
    config_schema: PolicyConfigSchema = field(default_factory=_empty_schema)
    patch: ConfigPatch = no_patch
    level: EnforcementLevel = EnforcementLevel.MANDATORY
    waivable: bool = True

    def build(self, settings: PackSettings) -> Policy:
        return stack_policy(self.name, self.description, self.check, self.config_schema, self.patch, self.level,
                            self.waivable, settings)


PolicySpec = ResourcePolicySpec | StackPolicySpec


def finops_specs() -> list[PolicySpec]:
    """Every FinOps policy but the waivers policies, in the order the pack runs them."""
    from . import (
        advice,
        budget_alerts,
        containers,
        cost_vs_budget,
        labels,
        network_limits,
        provisioning,
        sizing,
        spending_limits,
        tags,
    )

    return [*tags.SPECS, *labels.SPECS, *sizing.build_specs(), *containers.SPECS, *budget_alerts.SPECS,
            *cost_vs_budget.SPECS, *spending_limits.SPECS, *provisioning.SPECS, *network_limits.SPECS,
            *advice.SPECS]


def build_pack_policies(settings: PackSettings | None = None) -> list[Policy]:
    """The pack's policies, sharing one :class:`PackSettings`; the waivers policies come last and
    report what the others' verdicts set aside."""
    from . import waiver_policies

    settings = settings or PackSettings()
    specs = finops_specs()
    policies = [spec.build(settings) for spec in specs]
    by_name = {p.name: getattr(p, "finops", None) for p in policies}
    policies += [spec.build(settings) for spec in waiver_policies.specs(specs, by_name.__getitem__, settings)]
    for policy in policies:
        policy.finops_settings = settings  # type: ignore[attr-defined]  # read by the servicer at Configure
    return policies
