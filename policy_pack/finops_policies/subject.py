"""The resource a policy judges, with the facts every FinOps policy needs about it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from finops_core.effective_tags import EffectiveTags, effective_tags, stack_allocation
from finops_core.rules import EnvironmentRules, Rules
from finops_core.values import MISSING, UNKNOWN, get, get_path, plain


def provider_region(provider_props: object) -> str:
    """The region a resource's AWS provider targets: its ``region`` input, else what the provider
    itself would read from the environment, else us-east-1 (where every price is recorded)."""
    region = get(provider_props, "region")
    if isinstance(region, str) and region:
        return region
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def current_stack() -> str | None:
    """The stack being previewed: the engine sets PULUMI_STACK for the policy pack process."""
    return os.environ.get("PULUMI_STACK") or None


def stack_environment(args: Any, rules: Rules) -> EnvironmentRules | None:
    """The environment a stack policy judges: the stack's Environment tag (``args.stack_tags``,
    pulumi-policy 1.19+), else the stack name."""
    tagged = stack_allocation(getattr(args, "stack_tags", None)).get("Environment")
    return rules.environment_of(tagged, current_stack())


@dataclass
class Subject:
    """One resource of an Analyze request. The pack's servicer builds one per request and hands it
    to every policy, so what is derived here (tags, plain inputs) is derived once."""

    type: str
    name: str
    urn: str
    props: Any
    provider_props: Any = MISSING
    stack: str | None = None
    # True when props are already plain decoded values (the servicer's), not the SDK's proxies.
    decoded: bool = False
    # The stack's tags (ConfigureStack, pulumi-policy 1.19+): its Team and Environment count where
    # the resource's own tags or labels do not say.
    stack_tags: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def stack_allocation(self) -> dict[str, str]:
        return stack_allocation(self.stack_tags)

    @cached_property
    def inputs(self) -> Any:
        """The properties as plain values, unknown ones as the engine's sentinel (for pricing)."""
        return self.props if self.decoded else plain(self.props)

    def describe(self) -> str:
        return f"{self.type} '{self.name}'"

    @property
    def region(self) -> str:
        return provider_region(self.provider_props)

    def declared_environment(self, rules: Rules) -> Any:
        """What the resource says its environment is: the Environment tag (AWS) or label
        (Kubernetes); a string, None, or UNKNOWN during preview."""
        if self.type.startswith("kubernetes:"):
            value = get_path(self.props, ("metadata", "labels", rules.labels.get("Environment", "environment")))
            if value is MISSING:
                value = self.stack_allocation.get("Environment", MISSING)
        else:
            value = self.effective_tags().values.get("Environment")
        return value if value is UNKNOWN or isinstance(value, str) else None

    def environment(self, rules: Rules, declared: object) -> EnvironmentRules | None:
        """The environment from ``declared`` (see :meth:`declared_environment`), else the stack name."""
        return rules.environment_of(declared if isinstance(declared, str) else None, self.stack)

    def effective_tags(self) -> EffectiveTags:
        return self._effective_tags

    @cached_property
    def _effective_tags(self) -> EffectiveTags:
        tags = effective_tags(self.type, self.props, self.provider_props)
        for key, value in self.stack_allocation.items():
            tags.values.setdefault(key, value)  # below every tag of the resource and its provider
        return tags
